import type { CliOptions } from '../../../command.js'
import { durationOption } from '../../../options.js'
import { type VaultArgs, vaultOptions } from '../options.js'

export interface WatchArgs extends VaultArgs {
  readonly debounce: string
  readonly retry: string
  readonly timeout: string
  readonly alertWebhook?: string
  readonly alertNtfy?: string
  readonly alertCommand?: string
  readonly silentAfter: string
  readonly metricsListen?: string
}

export const watchCommand = {
  command: 'watch',
  describe: 'Back up whenever a source changes (runs until Ctrl-C)',
  options: {
    ...vaultOptions,
    debounce: durationOption('watchDebounce', 'quiet time after a change before backing up'),
    retry: durationOption('watchRetry', 'how often to re-check and retry lagging guardians'),
    timeout: durationOption('push', 'give up waiting for receipts after this'),
    alertWebhook: { type: 'string', describe: 'POST a JSON event here on health changes and incidents' },
    alertNtfy: {
      type: 'string',
      describe: 'an ntfy topic URL (e.g. https://ntfy.sh/<secret topic>): phone alerts',
    },
    alertCommand: { type: 'string', describe: 'run this (sh -c) with the JSON event on stdin' },
    silentAfter: durationOption('silentGuardian', 'alert when a guardian has not answered this long'),
    metricsListen: {
      type: 'string',
      describe: 'serve Prometheus /metrics on host:port (e.g. 127.0.0.1:9464)',
    },
  } satisfies CliOptions<WatchArgs>,
}
