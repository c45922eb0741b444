/** Command groups whose shape is fixed now and whose commands arrive with the recovery work. */
import type { CommandModule } from 'yargs'
import { CommandUnavailableError } from '../../errors.js'

function reserved(name: string, describe: string): CommandModule {
  return {
    command: `${name} [command..]`,
    describe,
    builder: (y) => y.strict(false),
    handler: () => {
      throw new CommandUnavailableError(name)
    },
  }
}

export const recoverCommand = reserved('recover', 'Recover a node from its guardians (later release)')
