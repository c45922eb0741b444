import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export interface InitArgs extends GuardianJsonArgs {
  readonly listen?: readonly string[]
  readonly announce?: readonly string[]
  readonly relay?: readonly string[]
  readonly upnp: boolean
}

export const initCommand = {
  command: 'init',
  describe: 'Create a guardian: identity key, database, listen address',
  options: {
    ...guardianJsonOptions,
    listen: {
      type: 'string',
      array: true,
      describe: 'multiaddr to listen on (default /ip4/0.0.0.0/tcp/4646)',
    },
    announce: {
      type: 'string',
      array: true,
      describe: 'multiaddr friends should dial, if not the listen one',
    },
    relay: {
      type: 'string',
      array: true,
      describe: 'behind NAT with no port forwarded: a relay to be reached through (…/p2p/<relay peer id>)',
    },
    upnp: { type: 'boolean', default: false, describe: 'ask the router to forward a port (UPnP / NAT-PMP)' },
  } satisfies CliOptions<InitArgs>,
}
