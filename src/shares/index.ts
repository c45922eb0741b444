/** Public surface of key splitting: split, signed envelopes, verified combine. */
export * from './combine.js'
export * from './errors.js'
export * from './share-envelope.js'
export * from './split.js'
