import type { SettingsChange } from '../../../../guardian/settings.js'
import type { CliOptions } from '../../../command.js'
import { type GuardianJsonArgs, guardianJsonOptions } from '../options.js'

/** The change as settings.ts takes it, with each notice target an option of its own. */
export interface SettingsArgs extends GuardianJsonArgs, Omit<SettingsChange, 'notify'> {
  readonly notifyNtfy?: string
  readonly notifyWebhook?: string
  readonly notifyCommand?: string
}

export const settingsCommand = {
  command: 'settings',
  describe: 'Show or change how your guardian is reached (relays, addresses, port) and where it tells you',
  options: {
    ...guardianJsonOptions,
    addRelay: {
      type: 'string',
      array: true,
      describe: 'be reached through this relay (the address your friend gives you, …/p2p/12D3Koo…)',
    },
    removeRelay: { type: 'string', array: true, describe: 'stop using this relay (its address or peer ID)' },
    addListen: {
      type: 'string',
      array: true,
      describe: 'also listen on this address (/ip4/0.0.0.0/tcp/4646)',
    },
    removeListen: { type: 'string', array: true, describe: 'stop listening on this address' },
    port: { type: 'number', describe: 'listen on this TCP port (e.g. the one you forwarded on your router)' },
    addAnnounce: {
      type: 'string',
      array: true,
      describe:
        'tell friends to dial this address (/dns4/myhome.example.net/tcp/4646), if you forwarded a port',
    },
    removeAnnounce: { type: 'string', array: true, describe: 'stop telling friends this address' },
    upnp: { type: 'boolean', describe: 'ask the router to forward a port (--no-upnp: do not)' },
    notifyNtfy: { type: 'string', describe: 'tell your phone through this ntfy topic URL' },
    notifyWebhook: { type: 'string', describe: 'POST a JSON notice to this URL' },
    notifyCommand: { type: 'string', describe: 'run this (sh -c) with the JSON notice on stdin' },
    removeNotify: {
      type: 'string',
      array: true,
      describe: 'stop one way of telling you: ntfy, webhook or command',
    },
  } satisfies CliOptions<SettingsArgs>,
}
