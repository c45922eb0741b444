/** `kith guardian …`: run a guardian for friends' nodes. */
import { commandGroup, toYargs } from '../../command.js'
import { approveHandler } from './approve/handler.js'
import { approveCommand } from './approve/options.js'
import { denyHandler } from './deny/handler.js'
import { denyCommand } from './deny/options.js'
import { initHandler } from './init/handler.js'
import { initCommand } from './init/options.js'
import { inviteHandler } from './invite/handler.js'
import { inviteCommand } from './invite/options.js'
import { policyHandler } from './policy/handler.js'
import { policyCommand } from './policy/options.js'
import { requestsHandler } from './requests/handler.js'
import { requestsCommand } from './requests/options.js'
import { startHandler } from './start/handler.js'
import { startCommand } from './start/options.js'
import { statusHandler } from './status/handler.js'
import { statusCommand } from './status/options.js'

export const guardianCommand = commandGroup(
  'guardian <command>',
  "Run a guardian that keeps friends' node backups",
  [
    toYargs({ ...initCommand, handler: initHandler }),
    toYargs({ ...startCommand, handler: startHandler }),
    toYargs({ ...inviteCommand, handler: inviteHandler }),
    toYargs({ ...statusCommand, handler: statusHandler }),
    toYargs({ ...requestsCommand, handler: requestsHandler }),
    toYargs({ ...approveCommand, handler: approveHandler }),
    toYargs({ ...denyCommand, handler: denyHandler }),
    toYargs({ ...policyCommand, handler: policyHandler }),
  ],
)
