/**
 * `POST /repos/{owner}/{repo}/dispatches` with `event_type: aep-flow-run-failed`, retried within
 * the relay's time limit: on 5xx, on network errors and time-outs, and on GitHub's rate limits
 * (403/429 with `retry-after`, or `x-ratelimit-remaining: 0` with `x-ratelimit-reset`), honouring
 * the wait GitHub asks for. Redirects are never followed (`redirect: 'manual'`), so the token is
 * only ever sent to the configured origin.
 */
import type { RelayConfig } from './config.js'
import { EVENT_TYPE } from './config.js'
import type { ClientPayload } from './envelope.js'

export type DispatchOutcome =
  | { ok: true; attempts: number; ms: number }
  /** `transient`: GitHub could not be reached (or kept failing) in time: Adobe should redeliver. */
  | { ok: false; transient: boolean; attempts: number; ms: number; reason: string }

/** Left for answering Adobe after the last attempt. */
const MARGIN_MS = 150
const BACKOFF_BASE_MS = 200
const BACKOFF_MAX_MS = 2000
const RATE_LIMIT_DEFAULT_WAIT_MS = 60_000

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms))

/** The pause before a retry after a 5xx or a network error, as the relay has it unless given. */
export interface DispatchPacing {
  /** The first pause; each next one doubles, up to 2 s. Default 200 ms (tests shorten it). */
  backoffBaseMs?: number
}

/** How long GitHub asks us to wait, in ms, or undefined if it does not say. */
export function askedWait(res: Response, now: number): number | undefined {
  const retryAfter = res.headers.get('retry-after')
  if (retryAfter !== null) {
    const seconds = Number(retryAfter)
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
    const date = Date.parse(retryAfter)
    if (Number.isFinite(date)) return Math.max(0, date - now)
  }
  if (res.headers.get('x-ratelimit-remaining') === '0') {
    const reset = Number(res.headers.get('x-ratelimit-reset'))
    if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now) + 250
  }
  return undefined
}

export async function dispatch(
  config: RelayConfig,
  payload: ClientPayload,
  deadline: number,
  pacing: DispatchPacing = {}
): Promise<DispatchOutcome> {
  const started = Date.now()
  const base = pacing.backoffBaseMs ?? BACKOFF_BASE_MS
  const backoff = (attempt: number): number => Math.min(BACKOFF_MAX_MS, base * 2 ** (attempt - 1))
  const url = `${config.apiUrl}/repos/${config.owner}/${config.repo}/dispatches`
  const body = JSON.stringify({ event_type: EVENT_TYPE, client_payload: payload })
  let attempts = 0
  let last = 'no attempt made'
  const fail = (transient: boolean, reason: string): DispatchOutcome => ({
    ok: false,
    transient,
    attempts,
    ms: Date.now() - started,
    reason
  })

  for (;;) {
    const left = deadline - Date.now() - MARGIN_MS
    if (left <= 0) return fail(true, `GitHub could not be reached in time (last: ${last})`)
    attempts++
    let res: Response
    try {
      res = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(left),
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${config.token}`,
          'content-type': 'application/json',
          'user-agent': 'aep-flow-run-relay',
          'x-github-api-version': '2022-11-28'
        },
        body
      })
    } catch (e) {
      last = (e as Error).name === 'TimeoutError' ? 'timed out' : 'network error'
      await sleep(Math.min(backoff(attempts), Math.max(0, deadline - Date.now() - MARGIN_MS)))
      continue
    }
    const status = res.status
    // GitHub's 403 says in its message whether it is a (secondary) rate limit.
    const message = status === 403 ? (await res.text().catch(() => '')).slice(0, 4096) : ''
    if (status !== 403) await res.body?.cancel().catch(() => undefined)
    if (status >= 200 && status < 300) return { ok: true, attempts, ms: Date.now() - started }
    if (status >= 300 && status < 400)
      return fail(false, `GitHub answered a redirect (${status}); not followed`)

    // GitHub: wait `retry-after` seconds, or until `x-ratelimit-reset` when the remaining count
    // is 0; a rate limit that says neither means "wait at least one minute".
    const limited = status === 429 || (status === 403 && /rate limit/i.test(message))
    const wait = askedWait(res, Date.now()) ?? (limited ? RATE_LIMIT_DEFAULT_WAIT_MS : undefined)
    const rateLimited = (status === 403 || status === 429) && wait !== undefined
    if (status >= 500 || rateLimited) {
      last = `HTTP ${status}`
      const pause = wait ?? backoff(attempts)
      if (Date.now() + pause > deadline - MARGIN_MS)
        return fail(
          true,
          wait !== undefined
            ? `GitHub asked to wait ${Math.ceil(wait / 1000)} s (HTTP ${status}), past the time limit`
            : `GitHub could not be reached in time (last: ${last})`
        )
      await sleep(pause)
      continue
    }
    // 401, 403 without a rate limit, 404, 422: GitHub refuses this token or request.
    return fail(false, refusal(status))
  }
}

function refusal(status: number): string {
  switch (status) {
    case 401:
      return 'GitHub refused the token (401): renew GITHUB_TOKEN'
    case 403:
      return 'GitHub refused the dispatch (403): the token lacks Contents: write on the repository'
    case 404:
      return 'GitHub answered 404: GITHUB_REPOSITORY is wrong or the token cannot see it'
    case 422:
      return 'GitHub refused the payload (422)'
    default:
      return `GitHub refused the dispatch (HTTP ${status})`
  }
}
