/** Fault injection, seed 27: two guardians' clocks skewed, a full disk, a partition, a guardian killed, replays (suite.ts). */
import { faultSuite } from './suite.js'

faultSuite([27], 'seed 27')
