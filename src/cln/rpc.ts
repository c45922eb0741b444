/**
 * CLN's plugin protocol (JSON-RPC 2.0 over the plugin's stdin and stdout): lightningd writes one JSON
 * object after another (separated by blank lines, which a reader must not rely on); the plugin answers
 * each request by id and may send notifications (`log`). Nothing but JSON-RPC ever goes to stdout.
 */

/** A JSON-RPC message from lightningd. */
export interface RpcMessage {
  readonly jsonrpc?: string
  readonly id?: string | number
  readonly method?: string
  readonly params?: unknown
}

/** Splits a byte stream into complete JSON objects (strings and escapes respected). */
export class JsonObjectSplitter {
  private buffer = ''

  /** The complete objects `chunk` finishes, in order. */
  push(chunk: string): unknown[] {
    this.buffer += chunk
    const out: unknown[] = []
    let depth = 0
    let inString = false
    let escaped = false
    let start = -1
    let consumed = 0
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i]
      if (inString) {
        if (escaped) escaped = false
        else if (c === '\\') escaped = true
        else if (c === '"') inString = false
        continue
      }
      if (c === '"') inString = true
      else if (c === '{') {
        if (depth === 0) start = i
        depth++
      } else if (c === '}') {
        depth--
        if (depth === 0 && start >= 0) {
          out.push(JSON.parse(this.buffer.slice(start, i + 1)))
          consumed = i + 1
          start = -1
        }
      }
    }
    this.buffer = this.buffer.slice(consumed)
    return out
  }
}

/** One message as lightningd reads it: the object, then a blank line. */
export const frame = (message: unknown): string => `${JSON.stringify(message)}\n\n`

export const result = (id: string | number, value: unknown) => frame({ jsonrpc: '2.0', id, result: value })

export const rpcError = (id: string | number, message: string) =>
  frame({ jsonrpc: '2.0', id, error: { code: -32600, message } })

/** A `log` notification: lightningd writes it to its own log (levels: debug, info, unusual, broken). */
export const logNotification = (level: 'debug' | 'info' | 'unusual' | 'broken', message: string) =>
  frame({ jsonrpc: '2.0', method: 'log', params: { level, message } })

/** The manifest: kith-cln registers the `db_write` hook and nothing else. */
export const MANIFEST = {
  options: [],
  rpcmethods: [],
  subscriptions: [],
  hooks: [{ name: 'db_write' }],
  dynamic: false,
}
