/** Public surface of the record codec. */
export * from './errors.js'
export * from './kinds.js'
export * from './record.js'
export * from './schema.js'
export * from './tlv.js'
