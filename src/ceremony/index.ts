/** Public surface of the recovery ceremony's records: request ids and codes, share release, veto, drill, done. */
export * from './done.js'
export * from './drill.js'
export * from './release.js'
export * from './request.js'
export * from './veto.js'
