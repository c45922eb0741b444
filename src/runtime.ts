/**
 * The Node kith runs on: 24 (the current LTS) or newer, for its own SQLite (`node:sqlite`, with the
 * online backup) and libp2p 3. The release executable carries its own; from a clone or an npm install
 * the machine's Node is checked before anything that needs a newer one loads (cli/main.ts).
 */
import { KithError } from './errors.js'

export const NODE_MAJOR = 24

/** The refusal for a Node of this version (`process.versions.node`), or undefined if kith runs on it. */
export function nodeTooOld(version: string): NodeTooOldError | undefined {
  return Number(version.split('.')[0]) < NODE_MAJOR ? new NodeTooOldError(version) : undefined
}

export class NodeTooOldError extends KithError {
  readonly code = 'NODE_TOO_OLD'
  constructor(readonly version: string) {
    super(
      `Node ${NODE_MAJOR} or newer is needed, and this is Node ${version}: use the kith release file (it carries its own Node), or install Node ${NODE_MAJOR}`,
      { version },
    )
  }
}
