/** Options every `kith guardian …` command takes. */
import { DEFAULT_GUARDIAN_DIR } from '../../../guardian/config.js'
import { dataDirOption, jsonOption } from '../../options.js'

export interface GuardianArgs {
  readonly dataDir: string
}

export interface GuardianJsonArgs extends GuardianArgs {
  readonly json: boolean
}

export const guardianOptions = {
  dataDir: dataDirOption(DEFAULT_GUARDIAN_DIR, 'where the guardian keeps its data'),
} as const

export const guardianJsonOptions = { ...guardianOptions, json: jsonOption } as const
