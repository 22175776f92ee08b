/**
 * The spacing of a failed window's retries that `retry-backoff` and `max-retries` imply: the first
 * retry at once, the n-th (n ≥ 2) once `backoff × 2^(n−2)` has passed since the previous retry
 * ended. An outage outlasts retries sent minutes apart; doubling waits spend `max-retries` over
 * hours instead (15m, 30m, 1h, … with the default), as retrying data tools do.
 */
const HOUR = 3_600_000

/** How long the n-th retry of a window waits after the previous one ended (0 for the first). */
export function retryDelay(n: number, backoffMs: number): number {
  if (n < 2 || backoffMs <= 0) return 0
  // Capped at 2^20 × backoff: past that the number stops meaning anything, and stays finite.
  return backoffMs * 2 ** Math.min(n - 2, 20)
}

/**
 * The shortest `lookback` that lets a window receive all its retries: the waits between them,
 * plus an hour for the runs themselves and for the sweep that finds the window due. Undefined
 * when there is no schedule to fit (no back-off, or no limit on retries).
 */
export function minimumLookback(backoffMs: number, maxRetries: number): number | undefined {
  if (backoffMs <= 0 || maxRetries < 2) return undefined
  let waits = 0
  for (let n = 2; n <= maxRetries; n++) waits += retryDelay(n, backoffMs)
  return waits + HOUR
}
