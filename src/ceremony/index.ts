/** Public surface of the recovery ceremony's records: request ids and codes, share release, veto, drill. */
export * from './drill.js'
export * from './release.js'
export * from './request.js'
export * from './veto.js'
