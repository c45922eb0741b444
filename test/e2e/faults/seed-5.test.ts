/** Fault injection, seed 5: coordinator clock skew, a corrupted SQLite page, replays, a partition, a coordinator killed (suite.ts). */
import { faultSuite } from './suite.js'

faultSuite([5], 'seed 5')
