/**
 * The runs this relay has dispatched, remembered in the process's memory for a bounded time.
 *
 * Why: a delivery whose runs were dispatched only in part is answered 5xx so that Adobe redelivers
 * it (I/O Events retries only 429 and 5xx), and a redelivery holds every run again. Runs remembered
 * here are not dispatched a second time: only what is left goes. I/O Runtime keeps a warm container
 * (and its memory) between activations, and sends several activations to one container, but it may
 * also start a new one: a redelivery that lands there dispatches again, and the action's own retry
 * ledger then sends nothing (a repeated dispatch is noise, never a second re-trigger). So this is a
 * saving, not the guard against a duplicate re-trigger; that guard is the action's.
 *
 * Keyed by repository and run id: a run fails once, so a second event for the same run (a
 * redelivery, or Adobe's at-least-once delivery sending it twice) has nothing new to say.
 */
import type { RelayConfig } from './config.js'
import type { ClientPayload } from './envelope.js'

/** As long as Adobe redelivers a delivery answered 5xx. */
export const REMEMBER_MS = 24 * 60 * 60 * 1000
/** Bounds the memory: a key is under 100 bytes, so at most about 1 MB. */
export const MAX_REMEMBERED = 10_000

export class DispatchedMemo {
  /** Key → until when it is remembered; insertion order is expiry order (one fixed TTL). */
  private readonly until = new Map<string, number>()

  constructor(
    private readonly ttlMs = REMEMBER_MS,
    private readonly max = MAX_REMEMBERED,
    private readonly now: () => number = Date.now
  ) {}

  has(key: string): boolean {
    const until = this.until.get(key)
    if (until === undefined) return false
    if (until > this.now()) return true
    this.until.delete(key)
    return false
  }

  add(key: string): void {
    const now = this.now()
    this.until.delete(key)
    this.until.set(key, now + this.ttlMs)
    // Expired keys are at the front; past the bound, the oldest go first.
    for (const [k, until] of this.until) {
      if (until > now && this.until.size <= this.max) break
      this.until.delete(k)
    }
  }

  get size(): number {
    return this.until.size
  }

  clear(): void {
    this.until.clear()
  }
}

/** The process's memory of what it dispatched (module state: it lives as long as the container). */
export const dispatchedRuns = new DispatchedMemo()

/** Forget every dispatched run (for tests: a fresh container). */
export function forgetDispatched(): void {
  dispatchedRuns.clear()
}

export function memoKey(config: RelayConfig, payload: ClientPayload): string {
  return `${config.owner}/${config.repo}#${payload.runId.toLowerCase()}`.toLowerCase()
}
