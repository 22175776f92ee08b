import { formatDuration } from '../inputs/duration.js'
import { AmbiguousOutcomeError, CancelledError, describeAnswer } from './errors.js'
import { TransportError } from './http.js'
import type { HttpResponse } from './http.js'
import * as log from '../text/log.js'
import { sleep, type Pacer } from './pacing.js'
import { redact } from '../text/secrets.js'

export interface RetryBudget {
  /** Attempts per request, the first included. */
  maxAttempts: number
  /** Total time one request may spend waiting between attempts. */
  timeoutMs: number
}

/**
 * `fail`: a request that never reached anyone and never will by trying again (a host that does not
 * resolve): the caller gets the error at once, naming the input the address came from.
 */
export type Verdict = 'done' | 'retry' | 'ambiguous' | 'fail'

/**
 * A host that does not exist: the DNS answered "no such name" (NXDOMAIN). A mistyped
 * `platform-url` or `ims-url` until shown otherwise, so five attempts only delay saying so.
 * A temporary resolver failure (`EAI_AGAIN`: no answer, SERVFAIL) is not here: it is retried.
 */
const NO_SUCH_HOST = new Set(['ENOTFOUND'])

/**
 * The one place that decides what is safe to send again.
 *
 * - 429 and 503 say the request was not processed: safe to retry, even the re-trigger POST.
 * - A request that never connected (refused, a resolver failure) never reached the server: safe
 *   to retry. A host the DNS says does not exist (ENOTFOUND) is not retried: it is a typo.
 * - 500, 502, 504, a timeout or a reset after connecting: the server may have acted. Reads and
 *   token requests are idempotent, so they are retried; the re-trigger POST is not, so the caller
 *   gets an AmbiguousOutcomeError and must reconcile before anything is sent again.
 * - Any other answer (2xx, 3xx, 4xx) is final and goes back to the caller.
 */
export function verdict(idempotent: boolean, outcome: HttpResponse | TransportError): Verdict {
  if (outcome instanceof TransportError) {
    if (NO_SUCH_HOST.has(outcome.code)) return 'fail'
    if (!outcome.sent) return 'retry'
    // Includes an answer that broke off after its status line: for the POST, ambiguous (and, if
    // that status was 2xx, known to have acted: see withRetries).
    return idempotent ? 'retry' : 'ambiguous'
  }
  const { status } = outcome
  if (status === 429 || status === 503) return 'retry'
  if (status >= 500) return idempotent ? 'retry' : 'ambiguous'
  return 'done'
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now; undefined if absent or unreadable. */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now = Date.now()
): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (!text?.trim()) return undefined
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) return Math.round(Number(text) * 1000)
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const BASE_DELAY_MS = 1000
const MAX_DELAY_MS = 30_000

/** Exponential back-off with jitter: about 1s, 2s, 4s … capped at 30s, each scaled by 0.5–1. */
export function backoffDelay(attempt: number, random = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1))
  return Math.round(ceiling * (0.5 + random() / 2))
}

/** The input a request's address came from, as given: named when the request reaches no one. */
export interface Origin {
  /** The input's name, e.g. `platform-url`. */
  input: string
  /** Its value (a base URL; inputs.ts refuses one that carries credentials). */
  url: string
}

export interface RetryOptions {
  /** What is being done, for log lines and errors: "re-trigger of run X". */
  what: string
  /** Where the address came from: an error that never reached the server names it. */
  origin?: Origin
  idempotent: boolean
  budget: RetryBudget
  pacer: Pacer
  signal?: AbortSignal
  /** Turns a final, unsuccessful answer into the error to throw. */
  fail: (res: HttpResponse) => Error
}

/**
 * Sends `attempt` until it gives a final answer (returned, 2xx or not: the caller decides), the
 * outcome is ambiguous (AmbiguousOutcomeError) or the retry budget is spent (the last error).
 */
export async function withRetries(
  attempt: () => Promise<HttpResponse>,
  opts: RetryOptions
): Promise<HttpResponse> {
  const started = Date.now()
  // The shared pacer never holds this request past its own retry budget.
  const deadline = started + opts.budget.timeoutMs
  for (let n = 1; ; n++) {
    await opts.pacer.acquire(opts.signal, deadline)
    const sentAt = Date.now()
    let outcome: HttpResponse | TransportError
    try {
      outcome = await attempt()
    } catch (err) {
      if (!(err instanceof TransportError)) throw err
      if (err.code === 'ABORTED') throw new CancelledError()
      outcome = err
    }
    const decision = verdict(opts.idempotent, outcome)
    const reason =
      outcome instanceof TransportError
        ? `${outcome.code} (${outcome.message})`
        : `HTTP ${outcome.status}`
    if (!(outcome instanceof TransportError) && outcome.status !== 429) opts.pacer.onAccepted()
    if (decision === 'done') return outcome as HttpResponse
    if (decision === 'fail') {
      const err = outcome as TransportError
      throw new Error(redact(`${opts.what} failed: ${reason}${unreached(err, opts.origin)}`))
    }
    if (decision === 'ambiguous') {
      // A 2xx status line that arrived before the answer broke off: Adobe acted, whatever came after.
      const acted =
        outcome instanceof TransportError &&
        (outcome.status ?? 0) >= 200 &&
        (outcome.status ?? 0) < 300
      throw new AmbiguousOutcomeError(
        redact(
          `${opts.what}: ${outcome instanceof TransportError ? `${acted ? `HTTP ${outcome.status}, then ` : ''}${reason}` : describeAnswer(outcome)} after the request was sent`
        ),
        acted ? 'yes' : 'maybe'
      )
    }

    const retryAfter =
      outcome instanceof TransportError
        ? undefined
        : parseRetryAfter(outcome.headers['retry-after'])
    const delay = retryAfter ?? backoffDelay(n)
    const spent = budgetSpent(opts.budget, n, Date.now() - started + delay, retryAfter)
    // A Retry-After beyond this request's budget fails this request; it never pauses the others.
    if (!(outcome instanceof TransportError) && outcome.status === 429)
      opts.pacer.onThrottle(sentAt, spent ? undefined : retryAfter)

    if (spent) {
      if (outcome instanceof TransportError)
        throw new Error(
          redact(
            `${opts.what} failed: ${reason} (gave up: ${spent})${unreached(outcome, opts.origin)}`
          )
        )
      const err = opts.fail(outcome)
      err.message += ` (gave up: ${spent})`
      throw err
    }
    log.info(
      `${opts.what}: ${reason}; retrying in ${formatDuration(delay)} (attempt ${n + 1} of ${opts.budget.maxAttempts})`
    )
    await sleep(delay, opts.signal)
  }
}

/**
 * What to check when a request reached no server: the input its address came from, and the value
 * given, since a typo there is the likeliest cause. Empty when it did reach one, or no input is known.
 */
export function unreached(err: TransportError, origin: Origin | undefined): string {
  if (!origin || err.sent) return ''
  let host: string
  try {
    host = new URL(origin.url).host
  } catch {
    host = origin.url
  }
  const given = `\`${origin.input}\` is "${origin.url}"`
  if (NO_SUCH_HOST.has(err.code))
    return `\nNo host ${host} exists (the DNS does not know the name): ${given}. Check it for a typo.`
  if (err.code === 'EAI_AGAIN')
    return `\nThe name ${host} could not be looked up (the DNS did not answer): ${given}. Check it, and the runner's network.`
  return `\nNo connection could be made to ${host}: ${given}. Check it, and the runner's network.`
}

/** Why another attempt would break the budget, or undefined while it fits. */
function budgetSpent(
  budget: RetryBudget,
  attempts: number,
  elapsedAfterDelay: number,
  retryAfter?: number
): string | undefined {
  if (attempts >= budget.maxAttempts) return `after ${attempts} attempt${attempts === 1 ? '' : 's'}`
  if (elapsedAfterDelay <= budget.timeoutMs) return undefined
  const limit = `\`retry-timeout\` ${formatDuration(budget.timeoutMs)}`
  return retryAfter !== undefined
    ? `Adobe asked to wait ${formatDuration(retryAfter)} (Retry-After), beyond the retry budget (${limit})`
    : `retry budget spent (${limit})`
}
