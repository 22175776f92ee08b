import { CancelledError } from './errors.js'

// CUBIC, as in the AWS SDKs' adaptive retry mode: after a throttle the rate drops to BETA of what
// Adobe let through, then grows back along a cubic curve that flattens near the rate that was
// throttled and probes beyond it only slowly. SCALE sets how fast it grows back: the SDKs use 0.4;
// 0.7 measured best here (npm run bench: short sweeps recover sooner, long batches throttle no
// more often; 1.2 and above throttled long batches three times as often).
const BETA = 0.7
const SCALE = 0.7
const MIN_RATE = 0.5
// A Retry-After up to this long slows the rate; a longer one is the server saying "stop": every
// worker pauses until then (never past the asking request's own budget, see retry.ts).
const PAUSE_ALL_ABOVE_MS = 2000

/**
 * Client-side pacing shared by every request of the step. It sends as fast as the workers ask
 * until Adobe throttles (429); from then on it learns the rate Adobe accepts, the way the AWS SDK's
 * adaptive retry mode does, so a rate-limited batch runs near the limit instead of stopping and
 * starting on every 429.
 */
export class Pacer {
  /** Requests per second allowed now; undefined until the first throttle. */
  private rate?: number
  private maxRate = 0
  private throttledAt = 0
  private nextSlot = 0
  private pausedUntil = 0
  private readonly sent: number[] = []
  /** When requests Adobe did not throttle were answered, over the last second. */
  private readonly accepted: number[] = []

  /** Waits for this request's turn: never past `notAfter` (epoch ms), if given. */
  async acquire(signal?: AbortSignal, notAfter = Infinity): Promise<void> {
    const now = Date.now()
    let at = Math.max(now, this.pausedUntil)
    const rate = this.currentRate(now)
    if (rate !== undefined) {
      at = Math.max(at, this.nextSlot)
      this.nextSlot = at + 1000 / rate
    }
    at = Math.min(at, notAfter)
    if (at > now) await sleep(at - now, signal)
    this.record(Date.now())
  }

  /** Adobe answered without throttling: counts towards the rate it is known to accept. */
  onAccepted(): void {
    lastSecond(this.accepted, Date.now())
    this.accepted.push(Date.now())
  }

  /**
   * Adobe answered 429 to a request sent at `sentAt`: slow down; a long Retry-After pauses every
   * worker until then. Requests sent before the last slow-down were already accounted for.
   */
  onThrottle(sentAt: number, retryAfterMs?: number): void {
    const now = Date.now()
    // What Adobe let through in the last second is the best measure of its limit.
    const measured = Math.max(MIN_RATE, lastSecond(this.accepted, now) || this.measuredRate(now))
    const current = this.currentRate(now) ?? measured
    // Many 429s from one burst count as one throttle: only the first reduces the rate.
    if (sentAt > this.throttledAt) {
      this.maxRate = Math.min(current, measured)
      this.rate = Math.max(MIN_RATE, this.maxRate * BETA)
      this.throttledAt = now
    }
    if (retryAfterMs !== undefined && retryAfterMs > PAUSE_ALL_ABOVE_MS)
      this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs)
  }

  /** The rate in force: cubic growth since the last throttle, capped at twice what is measured. */
  private currentRate(now: number): number | undefined {
    if (this.rate === undefined) return undefined
    const t = (now - this.throttledAt) / 1000
    const k = Math.cbrt((this.maxRate * (1 - BETA)) / SCALE)
    const cubic = SCALE * (t - k) ** 3 + this.maxRate
    return Math.max(MIN_RATE, Math.min(cubic, 2 * Math.max(this.measuredRate(now), this.maxRate)))
  }

  /** Requests sent in the last second. */
  private measuredRate(now: number): number {
    return lastSecond(this.sent, now)
  }

  private record(now: number): void {
    lastSecond(this.sent, now)
    this.sent.push(now)
  }
}

/** How many of these times fall in the last second; drops the older ones. */
function lastSecond(times: number[], now: number): number {
  while (times.length > 0 && times[0] <= now - 1000) times.shift()
  return times.length
}

// setTimeout fires at once for anything above 2^31-1 ms (and warns): clamp every pause below it.
const MAX_TIMER_MS = 2 ** 31 - 1

/** Resolves after `ms` (clamped to what a timer can hold), or rejects with CancelledError on abort. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError())
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(new CancelledError())
    }
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      },
      Math.min(MAX_TIMER_MS, Math.max(0, ms))
    )
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
