/** Public surface of the record codec. */
export * from './errors.js'
export * from './record.js'
export * from './tlv.js'
