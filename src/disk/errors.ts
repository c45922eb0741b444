/** Errors of local storage: locks, database schemas, paths kith will not trust, and config files. */
import { KithError } from '../errors.js'

/** Another live kith process holds this directory's lock (disk/lock.ts). */
export class LockedError extends KithError {
  readonly code = 'VAULT_BUSY'
  constructor(
    what: string,
    /** The holder's, or -1 for a holder that has not written it yet. */
    readonly pid: number,
  ) {
    super(
      `another kith process${pid > 0 ? ` (pid ${pid})` : ''} is using this ${what}; stop it first, or let it do the work`,
      { pid },
    )
  }
}

/** A database written by a newer kith: it is refused, never downgraded. */
export class SchemaTooNewError extends KithError {
  readonly code = 'SCHEMA_TOO_NEW'
  constructor(found: number, known: number) {
    super(`this database has schema ${found}, newer than this kith knows (${known}); upgrade kith`, {
      found,
      known,
    })
  }
}

/**
 * A data directory or secret file that belongs to another user, or is not what it should be (a symlink
 * where kith writes restored files, a file where a directory belongs): refused, nothing written.
 */
export class LocalPathRefusedError extends KithError {
  readonly code = 'LOCAL_PATH_REFUSED'
  constructor(path: string, reason: string) {
    super(`refusing ${path}: ${reason}`, { path, reason })
  }
}

/**
 * A config file a human edits (guardian.json, the CLN plugin's cln-plugin.json) that does not parse, or
 * has a field that is unknown, missing or of the wrong type. Never taken for a missing file: a typo is
 * not "not initialized".
 */
export class ConfigInvalidError extends KithError {
  readonly code = 'CONFIG_INVALID'
  constructor(
    readonly path: string,
    /** Where in the file: `line 3, column 14`, or `field "relays"`. */
    readonly where: string,
    /** What is wrong there, in a few words. */
    readonly why: string,
  ) {
    super(`${path} is not valid: ${where}: ${why}; fix it and try again`, {
      path,
      where,
    })
  }
}
