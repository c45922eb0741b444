/**
 * A byte progress bar (cli-progress) for long uploads: bytes, rate and ETA on a terminal; nothing when
 * output is piped or JSON is asked for. The total grows as each guardian says what it lacks.
 */
import { SingleBar } from 'cli-progress'
import type { ByteProgress } from '../coordinator/push.js'
import { formatSize } from '../format.js'

export interface ProgressBar extends ByteProgress {
  stop(): void
}

/** A bar on a TTY, or undefined (print nothing) when piped or for JSON. */
export function uploadBar(json: boolean): ProgressBar | undefined {
  if (json || !process.stdout.isTTY) return undefined
  const started = Date.now()
  let total = 0
  let done = 0
  const bar = new SingleBar({
    format: 'uploading [{bar}] {percentage}% {sent} of {size}, {rate}/s, ETA {eta}s',
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
    barCompleteChar: '#',
    barIncompleteChar: '.',
  })
  const payload = () => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000)
    return { sent: formatSize(done), size: formatSize(total), rate: formatSize(Math.round(done / seconds)) }
  }
  let shown = false
  return {
    addTotal(bytes) {
      total += bytes
      if (!shown && total > 0) {
        bar.start(total, done, payload())
        shown = true
      } else if (shown) bar.setTotal(total)
    },
    addDone(bytes) {
      done += bytes
      if (shown) bar.update(done, payload())
    },
    stop() {
      if (shown) bar.stop()
    },
  }
}
