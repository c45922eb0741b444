/**
 * The CLI's voice: human lines and JSON objects on stdout, and a timestamp for daemon lines. A human line
 * never carries a control or bidirectional character, whoever wrote the text in it (src/text.ts).
 */
import { stripUnsafe } from '../text.js'

export const say = (line = ''): void => console.log(stripUnsafe(line))

export const sayJson = (value: unknown): void => console.log(JSON.stringify(value))

/** A note on stderr while a command goes on (stdout stays its answer, JSON or not). */
export const note = (line: string): void => console.error(stripUnsafe(line))

/** A time (now by default) as an ISO string to the second: a daemon's lines, a version's date. */
export const stamp = (ms = Date.now()): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')
