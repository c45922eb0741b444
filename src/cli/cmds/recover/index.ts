/** `kith recover`: one command, not a group. */
import { toYargs } from '../../command.js'
import { recoverHandler } from './handler.js'
import { recoverCommand as recover } from './options.js'

export const recoverCommand = toYargs({ ...recover, handler: recoverHandler })
