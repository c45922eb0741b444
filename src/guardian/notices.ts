/**
 * What a guardian tells people: one human line per notable event (logged, and handed to whoever runs the
 * daemon: the CLI prints it), and notices to its human who is not watching (guardian.json `notify`).
 * Lines carry labels other parties wrote, so each is cleaned first; neither ever holds a secret.
 */
import type { Log } from '../log.js'
import { hasTargets, type NotifyTargets, notify } from '../notify.js'
import { cleanText } from '../text.js'
import type { GuardianContext } from './context.js'

/** Notices that ask nothing of the human: sent without urgency. */
const CALM: ReadonlySet<string> = new Set(['recovery-finished'])

export interface NoticeOptions {
  readonly log: Log
  /** One human line per notable event. */
  readonly onEvent?: (line: string) => void
  /** Where to tell the guardian's human (guardian.json `notify`). */
  readonly targets?: NotifyTargets
}

export class Notices {
  /** Keys of notices sent once already, for as long as this object lives (the Guardian's lifetime). */
  private readonly sentOnce = new Set<string>()

  constructor(private readonly o: NoticeOptions) {}

  /** The voice of one run of the daemon: its lines, and its notices signed with its peer id and clock. */
  voice(guardian: string, now: () => number): Pick<GuardianContext, 'say' | 'notify'> {
    const log = this.o.log
    return {
      say: (text) => {
        // labels in these lines were written by other parties: one safe line, whatever they wrote
        const line = cleanText(text, 1000)
        log.info({ event: 'note' }, line)
        this.o.onEvent?.(line)
      },
      notify: (kind, title, message, fields, once) => {
        const targets = this.o.targets
        if (targets === undefined || !hasTargets(targets)) return
        if (once !== undefined) {
          if (this.sentOnce.has(once)) return
          this.sentOnce.add(once)
        }
        const body = { kind, at: new Date(now()).toISOString(), guardian, title, message, ...fields }
        void notify(targets, {
          kind,
          title,
          message,
          priority: kind === 'quota' ? 'high' : CALM.has(kind) ? 'default' : 'urgent',
          body,
        }).then((failures) => {
          for (const f of failures) log.warn({ event: 'notify-failed', kind, reason: f })
        })
      },
    }
  }
}
