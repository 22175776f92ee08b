/**
 * A delivery's runs dispatched side by side, and the answer to Adobe that follows from what
 * happened to each.
 *
 * I/O Events' "Batch" delivery holds up to 20 events; with GitHub taking about half a second per
 * dispatch, one at a time would not fit the time limit (under Adobe's 10 s). At most
 * `DISPATCH_CONCURRENCY` dispatches are in flight at once (GitHub's secondary rate limits allow 100
 * concurrent requests; 8 keeps far below and needs 3 rounds for 20 runs), all within the one
 * deadline. After a failure no new dispatch starts (a refused token or a rate limit would refuse
 * them too, a deadline reached leaves no time): those runs are left for Adobe's redelivery.
 */
import type { RelayConfig } from './config.js'
import type { ClientPayload } from './envelope.js'
import { dispatch, type DispatchOutcome, type DispatchPacing } from './github.js'
import { memoKey, type DispatchedMemo } from './memo.js'

export const DISPATCH_CONCURRENCY = 8

export type RunResult =
  | { kind: 'dispatched'; payload: ClientPayload; attempts: number; ms: number }
  /** Dispatched by this relay for an earlier delivery (a redelivery): not sent again. */
  | { kind: 'already'; payload: ClientPayload }
  | { kind: 'failed'; payload: ClientPayload; transient: boolean; reason: string }
  /** Not started: an earlier failure stopped the delivery's dispatches. */
  | { kind: 'not-attempted'; payload: ClientPayload }

export async function dispatchAll(
  runs: readonly ClientPayload[],
  config: RelayConfig,
  deadline: number,
  memo: DispatchedMemo,
  pacing: DispatchPacing = {},
  concurrency = DISPATCH_CONCURRENCY
): Promise<RunResult[]> {
  const results: (RunResult | undefined)[] = runs.map(payload =>
    memo.has(memoKey(config, payload)) ? { kind: 'already', payload } : undefined
  )
  const todo = results.flatMap((r, i) => (r ? [] : [i]))
  let next = 0
  let stopped = false
  const worker = async (): Promise<void> => {
    while (!stopped && next < todo.length) {
      const i = todo[next++]
      const payload = runs[i]
      const outcome: DispatchOutcome = await dispatch(config, payload, deadline, pacing)
      if (outcome.ok) {
        // Remembered as soon as GitHub accepted it: a redelivery sends only what is left.
        memo.add(memoKey(config, payload))
        results[i] = { kind: 'dispatched', payload, attempts: outcome.attempts, ms: outcome.ms }
      } else {
        stopped = true
        const reason = `${outcome.reason} (${outcome.attempts} attempt(s) in ${outcome.ms} ms)`
        results[i] = { kind: 'failed', payload, transient: outcome.transient, reason }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker))
  return results.map((r, i) => r ?? { kind: 'not-attempted', payload: runs[i] })
}

export interface DeliveryAnswer {
  status: 200 | 502 | 503
  result: 'dispatched' | 'ignored' | 'skipped' | 'failed'
}

/**
 * Where the answer to Adobe is decided. I/O Events redelivers only on 429 and 5xx (505 excepted)
 * and drops everything else for good, so a delivery with any run not dispatched is answered 5xx:
 * 502 when GitHub refused (the token, the permission, the repository: what a person must fix
 * within Adobe's 24 h of redeliveries), else 503. Never a 4xx here: every run in it was valid.
 * A redelivery dispatches only what is left (the runs remembered as dispatched are skipped).
 *
 * `skipped` counts the delivery's unreadable events (envelope.ts). They never make the answer a
 * 4xx (Adobe would drop the valid runs with them) nor a 5xx on their own: a redelivery carries
 * the same signed bytes, read the same way, so it could never make them readable; Adobe would
 * only repeat it for 24 h and then disable the registration. Each is logged and listed instead.
 */
export function deliveryAnswer(results: readonly RunResult[], skipped = 0): DeliveryAnswer {
  if (results.some(r => r.kind === 'failed' && !r.transient))
    return { status: 502, result: 'failed' }
  if (results.some(r => r.kind === 'failed' || r.kind === 'not-attempted'))
    return { status: 503, result: 'failed' }
  return {
    status: 200,
    result: results.some(r => r.kind === 'dispatched' || r.kind === 'already')
      ? 'dispatched'
      : skipped > 0
        ? 'skipped'
        : 'ignored'
  }
}
