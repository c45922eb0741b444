/**
 * Where a guardian lives unless told otherwise (`--data-dir`, KITH_GUARDIAN_DIR): the default folder
 * alone, apart from config.ts (the folder's layout) so that the advice table (advice.ts), which errors
 * name commands through, can tell whether a command needs `--data-dir`.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'

export const DEFAULT_GUARDIAN_DIR = join(homedir(), '.kith', 'guardian')
