/**
 * The retry ledger during one step: restored once, before the first decision that needs it,
 * added to by every re-trigger, saved once at the end (also when the step fails or is cancelled).
 * The cache itself is reached only through ledger-store.ts, loaded here by dynamic import.
 */
import type { Credentials } from '../inputs/inputs.js'
import * as log from '../text/log.js'
import {
  LEDGER_MAX_SKEW_MS,
  admitEntries,
  ledgerKey,
  signEntry,
  type Disputed,
  type LedgerEntry
} from './ledger.js'
import type { LedgerScope } from './store.js'

// Disputed entries named one by one, at most this many per step; then one line says there are more.
const MAX_DISPUTES_SHOWN = 5

/**
 * The secret the ledger's signing key is derived from: the one only the sweep holds (the OAuth
 * client secret; with a static token, the token, so entries are trusted while it lives).
 */
export const ledgerSecret = (credentials: Credentials): string =>
  credentials.kind === 'oauth' ? credentials.clientSecret : credentials.accessToken

export interface LedgerFigures {
  /** What became of the restore: entries read, or why none were. */
  restored?: { entries: number; key?: string; ms: number } | { problem: string; ms: number }
  saved?: { key: string; entries: number; ms: number } | { problem: string; ms: number }
}

let held = false
/**
 * True once a cache call was given up on while pending: its socket may keep the process alive
 * after the step is done, so the entry point ends the process (index.ts).
 */
export const cacheCallAbandoned = (): boolean => held

export class LedgerSession {
  readonly figures: LedgerFigures = {}
  private readonly added: LedgerEntry[] = []
  private earlier: readonly LedgerEntry[] = []
  private restoring?: Promise<void>
  private unavailable = false
  /** Signs and checks entries; in memory for this step only, never stored or shown. */
  private signingKey?: Buffer
  private readonly disputed = new Set<string>()

  constructor(
    private readonly scope: LedgerScope,
    private readonly timeoutMs: number,
    private readonly secret: string
  ) {}

  /** Derived when first needed: a run that never touches the ledger pays nothing for it. */
  private get key(): Buffer {
    this.signingKey ??= ledgerKey(this.secret, this.scope)
    return this.signingKey
  }

  /** Restores the ledger the first time it is asked for; never throws. */
  load(): Promise<void> {
    this.restoring ??= this.restore()
    return this.restoring
  }

  /**
   * Every re-trigger known, in the order the ledger's one rule for duplicates and its bound go by
   * (ledger.ts): this step's own first, then the trusted restored ones, newest first.
   */
  entries(): readonly LedgerEntry[] {
    return this.added.length ? [...this.added, ...this.earlier] : this.earlier
  }

  record(entry: LedgerEntry): void {
    this.added.push(signEntry(entry, this.key))
  }

  /**
   * Says which entries the decision set aside because Adobe's listings disagree (decide.ts):
   * each once per step, a few by name, then how many more in one line.
   */
  dispute(list: readonly Disputed[]): void {
    for (const { entry, why } of list) {
      const id = `${entry.newRun}>${entry.retried}`
      if (this.disputed.has(id)) continue
      this.disputed.add(id)
      if (this.disputed.size <= MAX_DISPUTES_SHOWN)
        log.warning(
          `The retry ledger says run ${entry.newRun} re-triggered run ${entry.retried}, but ${why}: the entry is not used; Adobe's listings decide that run.`
        )
      else if (this.disputed.size === MAX_DISPUTES_SHOWN + 1)
        log.warning(
          'More retry ledger entries disagree with what Adobe lists; they are not used and not named here.'
        )
    }
  }

  /** Saves when this step re-triggered something; a failure to save is a warning. */
  async save(): Promise<void> {
    if (this.added.length === 0) return
    // What earlier steps recorded is kept: restore it first if no decision needed it.
    await this.load()
    // Said once already, by the restore: nowhere to save either (not a GitHub runner).
    if (this.unavailable) return
    const { saveLedger } = await import('./store.js')
    const entries = this.entries()
    const saved = await saveLedger(this.scope, entries, this.timeoutMs)
    if ('problem' in saved) {
      held ||= !!saved.abandoned
      this.figures.saved = saved
      log.warning(
        `Could not save the retry ledger (${saved.problem}): the next run tells this step's ${this.added.length} re-trigger(s) by their copy-activity windows, or by timing where Adobe reports none.`
      )
      return
    }
    this.figures.saved = { ...saved, entries: entries.length }
    log.info(
      `Saved the retry ledger: ${entries.length} re-trigger(s) under ${saved.key} (${saved.ms} ms)`
    )
  }

  private async restore(): Promise<void> {
    // No cache service at all (not a GitHub runner): said without loading the cache library, so
    // such runs keep their cold start (its chunk is 2.4 MB, the Azure SDK included).
    if (!process.env.ACTIONS_RESULTS_URL && !process.env.ACTIONS_CACHE_URL) {
      this.unavailable = true
      this.figures.restored = { problem: 'no Actions cache service in this environment', ms: 0 }
      log.warning(
        'The retry ledger is not available (no Actions cache service in this environment, as outside a GitHub runner); deciding what was retried from copy-activity windows, and by timing where Adobe reports none.'
      )
      return
    }
    try {
      const { restoreLedger } = await import('./store.js')
      const restored = await restoreLedger(this.scope, this.timeoutMs)
      if ('problem' in restored) {
        held ||= !!restored.abandoned
        this.unavailable = !!restored.unavailable
        this.figures.restored = restored
        log.warning(
          `The retry ledger could not be read (${restored.problem}); deciding what was retried from copy-activity windows, and by timing where Adobe reports none.`
        )
        return
      }
      // Only entries signed with this step's key, and not dated ahead, are used (ledger.ts).
      const admitted = admitEntries(restored.entries, this.key, Date.now())
      this.earlier = admitted.trusted
      this.figures.restored = {
        entries: admitted.trusted.length,
        key: restored.key,
        ms: restored.ms
      }
      if (admitted.unsigned > 0)
        log.warning(
          `The retry ledger${restored.key ? ` from ${restored.key}` : ''} holds ${admitted.unsigned} entr${admitted.unsigned === 1 ? 'y' : 'ies'} without a valid signature (written by another workflow, by an older version of this action, or with another client secret or token): not used; the runs they name are decided from Adobe's listings.`
        )
      if (admitted.future > 0)
        log.warning(
          `The retry ledger${restored.key ? ` from ${restored.key}` : ''} holds ${admitted.future} entr${admitted.future === 1 ? 'y' : 'ies'} dated more than ${LEDGER_MAX_SKEW_MS / 60_000} minutes ahead of this runner's clock: not used, and not saved again.`
        )
      log.info(
        restored.key
          ? `Restored the retry ledger: ${admitted.trusted.length} re-trigger(s) from ${restored.key} (${restored.ms} ms)`
          : 'No retry ledger saved yet for this sandbox: this is its first re-trigger here, or the cache entry expired'
      )
    } catch (err) {
      this.figures.restored = { problem: String(err), ms: 0 }
      log.warning(`The retry ledger could not be loaded: ${String(err)}`)
    }
  }
}
