/** `kith vault …`: the operator's vault: create, guardians, sources, backup, status, recovery aids. */
import { commandGroup, toYargs } from '../../command.js'
import { addGuardianHandler } from './add-guardian/handler.js'
import { addGuardianCommand } from './add-guardian/options.js'
import { addSourceHandler } from './add-source/handler.js'
import { addSourceCommand } from './add-source/options.js'
import { backupHandler } from './backup/handler.js'
import { backupCommand } from './backup/options.js'
import { drillHandler } from './drill/handler.js'
import { drillCommand } from './drill/options.js'
import { initHandler } from './init/handler.js'
import { initCommand } from './init/options.js'
import { kitHandler } from './kit/handler.js'
import { kitCommand } from './kit/options.js'
import { removeGuardianHandler } from './remove-guardian/handler.js'
import { removeGuardianCommand } from './remove-guardian/options.js'
import { sourcesHandler } from './sources/handler.js'
import { sourcesCommand } from './sources/options.js'
import { statusHandler } from './status/handler.js'
import { statusCommand } from './status/options.js'
import { vetoHandler } from './veto/handler.js'
import { vetoCommand } from './veto/options.js'
import { watchHandler } from './watch/handler.js'
import { watchCommand } from './watch/options.js'

export const vaultCommand = commandGroup('vault <command>', "Back up this node's files to guardians", [
  toYargs({ ...initCommand, handler: initHandler }),
  toYargs({ ...addGuardianCommand, handler: addGuardianHandler }),
  toYargs({ ...removeGuardianCommand, handler: removeGuardianHandler }),
  toYargs({ ...addSourceCommand, handler: addSourceHandler }),
  toYargs({ ...sourcesCommand, handler: sourcesHandler }),
  toYargs({ ...backupCommand, handler: backupHandler }),
  toYargs({ ...watchCommand, handler: watchHandler }),
  toYargs({ ...statusCommand, handler: statusHandler }),
  toYargs({ ...kitCommand, handler: kitHandler }),
  toYargs({ ...drillCommand, handler: drillHandler }),
  toYargs({ ...vetoCommand, handler: vetoHandler }),
])
