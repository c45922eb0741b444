import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

export interface InitArgs extends GuardianJsonArgs {
  readonly listen?: readonly string[]
  readonly announce?: readonly string[]
  readonly relay?: readonly string[]
  readonly upnp: boolean
  readonly notifyNtfy?: string
  readonly notifyWebhook?: string
  readonly notifyCommand?: string
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
    notifyNtfy: {
      type: 'string',
      describe: 'an ntfy topic URL (https://ntfy.sh/<secret topic>): your phone hears of recovery requests',
    },
    notifyWebhook: { type: 'string', describe: 'POST a JSON notice here when something needs you' },
    notifyCommand: { type: 'string', describe: 'run this (sh -c) with the JSON notice on stdin' },
  } satisfies CliOptions<InitArgs>,
}
