/** The CLI's voice: human lines and JSON objects on stdout, and a timestamp for daemon lines. */

export const say = (line = ''): void => console.log(line)

export const sayJson = (value: unknown): void => console.log(JSON.stringify(value))

/** The time as an ISO string to the second, for a daemon's lines. */
export const stamp = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z')
