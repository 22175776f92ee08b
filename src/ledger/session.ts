/**
 * The retry ledger during one step: restored once, before the first decision that needs it,
 * added to by every re-trigger, saved once at the end (also when the step fails or is cancelled).
 * The cache itself is reached only through ledger-store.ts, loaded here by dynamic import.
 */
import * as log from '../text/log.js'
import type { LedgerEntry } from './ledger.js'
import type { LedgerScope } from './store.js'

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

  constructor(
    private readonly scope: LedgerScope,
    private readonly timeoutMs: number
  ) {}

  /** Restores the ledger the first time it is asked for; never throws. */
  load(): Promise<void> {
    this.restoring ??= this.restore()
    return this.restoring
  }

  /** Every re-trigger known: restored ones and this step's. */
  entries(): readonly LedgerEntry[] {
    return this.added.length ? [...this.earlier, ...this.added] : this.earlier
  }

  record(entry: LedgerEntry): void {
    this.added.push(entry)
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
      this.earlier = restored.entries
      this.figures.restored = {
        entries: restored.entries.length,
        key: restored.key,
        ms: restored.ms
      }
      log.info(
        restored.key
          ? `Restored the retry ledger: ${restored.entries.length} re-trigger(s) from ${restored.key} (${restored.ms} ms)`
          : 'No retry ledger saved yet for this sandbox: this is its first re-trigger here, or the cache entry expired'
      )
    } catch (err) {
      this.figures.restored = { problem: String(err), ms: 0 }
      log.warning(`The retry ledger could not be loaded: ${String(err)}`)
    }
  }
}
