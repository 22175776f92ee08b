import { CancelledError } from './errors.js'

/**
 * A pause shared by every request of the step: when Adobe answers 429 with Retry-After, every
 * worker holds back until then instead of each discovering the limit on its own.
 */
export class RateGate {
  private until = 0

  pauseFor(ms: number): void {
    this.until = Math.max(this.until, Date.now() + ms)
  }

  async wait(signal?: AbortSignal): Promise<void> {
    while (this.until > Date.now()) {
      // A little jitter so paused workers do not all fire in the same millisecond.
      await sleep(this.until - Date.now() + Math.random() * 100, signal)
    }
  }
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
