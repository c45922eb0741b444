/**
 * The root of every error kith raises on purpose. Each subclass carries a stable, bounded `code`
 * (safe as a metric label, listed in docs/troubleshooting.md) and bounded facts.
 * A message or a fact must never contain a key, a share, plaintext or an invite secret.
 */

/** Facts an error carries: small, bounded values only (names, numbers, ids), never secrets. */
export type ErrorFacts = Readonly<Record<string, string | number | boolean>>

export abstract class KithError extends Error {
  /** Stable machine-readable code; callers and the CLI branch on it, never on the message. */
  abstract readonly code: string
  readonly facts: ErrorFacts

  constructor(message: string, facts: ErrorFacts = {}, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.facts = facts
  }
}

/**
 * A thrown value as one line: an Error's message, an event's type (libp2p rejects some waits with the
 * stream's close event itself), else its text. Never `[object Event]`.
 */
export function thrownText(err: unknown): string {
  if (err instanceof Error) return err.message
  if (typeof Event !== 'undefined' && err instanceof Event) return `a '${err.type}' event`
  return String(err)
}
