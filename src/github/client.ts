/**
 * Octokit inside the action's rails, for escalation (src/github/issues.ts; only that lazy chunk
 * loads it). What the bare `getOctokit` lacks:
 *
 * - Retries and rate limits with Octokit's own plugins, bounded: at most 2 retries per request in
 *   all (a 5xx, a rate limit, or both), a POST never retried after a 5xx (it may have been done:
 *   a second issue would linger), no wait beyond a minute, the step's deadline or two minutes in
 *   all, and every wait ends when the step is cancelled.
 * - Octokit's logging (a server's `Deprecation`/`Sunset` headers included) goes through log.ts,
 *   which redacts secrets and flattens control characters, instead of a raw `console.warn`.
 * - Requests go only to GITHUB_API_URL: a redirect is never followed automatically; one
 *   same-origin redirect of a GET is re-issued, anything else is an error. Every attempt has its
 *   own timeout. The proxy-aware fetch @actions/github builds for HTTPS_PROXY stays underneath.
 * - A 2xx answer that is not whole JSON (a proxy's login page, a body cut short) is an error, and
 *   `isIssue`/`isIssueList` check the shape of what GitHub said before it is trusted.
 *
 * `describeGitHubRefusal` says what GitHub answered in words a workflow author can act on.
 */
import { getOctokit } from '@actions/github'
import { defaults } from '@actions/github/lib/utils'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import * as log from '../text/log.js'
import { sleep } from '../aep/pacing.js'
import { redact } from '../text/secrets.js'
import { isoTime } from '../text/time.js'

export type GitHubClient = ReturnType<typeof getOctokit>

export interface GitHubClientSettings {
  token: string
  /** GITHUB_API_URL: the only origin requests (and the token) go to. */
  apiUrl: string
}

export interface GitHubClientContext {
  /** Each attempt's own timeout. */
  requestTimeoutMs: number
  /** The step's cancellation: ends requests and rate-limit waits. */
  signal: AbortSignal
  /** When the step's time is up (ms since the epoch): no rate-limit wait goes past it. */
  deadline?: number
  /** The longest single rate-limit wait; a longer Retry-After fails the request. Default 60 s. */
  maxWaitMs?: number
  /** All rate-limit waits of this client together. Default 120 s. */
  maxTotalWaitMs?: number
}

/**
 * The plugins' own pauses, as they have them unless given. Escalation passes none; the tests
 * shorten them where they count attempts or time a Retry-After, not the pauses.
 */
export interface GitHubClientPacing {
  /** The unit of the retry plugin's back-off: its n-th retry waits n² × this. Default 1000 ms. */
  retryBaseMs?: number
  /**
   * Whether the throttling plugin spaces writes: 1 s apart, 3 s for those that notify (an issue, a
   * comment), per client. Default true; false sends each at once.
   */
  spaceWrites?: boolean
}

/** Retries per request, whatever the cause; attempts are one more. */
export const MAX_RETRIES = 2
const MAX_ATTEMPTS = MAX_RETRIES + 1
const MAX_WAIT_MS = 60_000
const MAX_TOTAL_WAIT_MS = 120_000
const RETRY_BASE_MS = 1000
// As @octokit/plugin-retry's default list, with 429: rate limits are the throttling plugin's (and
// this module's), which honour Retry-After; the retry plugin's backoff would ignore it.
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451]
const MESSAGE_CHARS = 300

export type AnswerFault = 'redirect' | 'origin' | 'not-json' | 'cut-short' | 'timeout' | 'shape'

/** An answer this client does not trust, or a request it would not make; never retried. */
export class GitHubAnswerError extends Error {
  constructor(
    readonly kind: AnswerFault,
    message: string,
    readonly status?: number,
    readonly requestId?: string
  ) {
    super(message)
    this.name = 'GitHubAnswerError'
  }
}

// ---------------------------------------------------------------------------------------------
// The factory

// A limiter group as the throttling plugin uses one (`key(id).schedule(options, job)`) that runs
// each job at once: its write groups under `spaceWrites: false`.
const AT_ONCE = { key: () => ({ schedule: (_options: unknown, job: () => unknown) => job() }) }

type Fetch = (url: string, init?: RequestInit & { dispatcher?: unknown }) => Promise<Response>
type Options = { method: string; url: string; request: Record<string | symbol, unknown> }
type Request = (options: Options) => Promise<unknown>
type Hooked = {
  hook: { wrap: (name: 'request', hook: (r: Request, o: Options) => unknown) => void }
}

// Per call, on the call's own copy of `options.request` (see `outermost`).
const CALL = Symbol('aep-github-call')
interface Call {
  attempts: number
}
let clients = 0

/** An Octokit for escalation, in the rails described at the top of this file. */
export function createGitHubClient(
  settings: GitHubClientSettings,
  ctx: GitHubClientContext,
  pacing: GitHubClientPacing = {}
): GitHubClient {
  const apiOrigin = new URL(settings.apiUrl).origin
  const maxWaitMs = ctx.maxWaitMs ?? MAX_WAIT_MS
  const maxTotalWaitMs = ctx.maxTotalWaitMs ?? MAX_TOTAL_WAIT_MS
  let waitedMs = 0

  /** Whether to retry after a rate limit asking for `seconds`; waits them (abortably) if so. */
  const mayWait = async (seconds: number, options: Options, what: string): Promise<boolean> => {
    const call = options.request[CALL] as Call | undefined
    const ms = Math.max(0, seconds) * 1000
    const asked = `${options.method} ${pathOf(options.url)}`
    const no =
      (call?.attempts ?? 0) >= MAX_ATTEMPTS
        ? `${MAX_ATTEMPTS} attempts made`
        : ms > maxWaitMs
          ? `it asks for ${seconds} s, more than the ${maxWaitMs / 1000} s this action waits`
          : ctx.deadline !== undefined && Date.now() + ms >= ctx.deadline
            ? `the step's time ends first`
            : waitedMs + ms > maxTotalWaitMs
              ? `this step already waited ${Math.round(waitedMs / 1000)} s for GitHub`
              : ctx.signal.aborted
                ? 'the step is stopping'
                : undefined
    if (no) {
      log.debug(`GitHub's ${what}: not waiting (${no}); ${asked} fails`)
      return false
    }
    log.info(`GitHub's ${what}: waiting ${seconds} s before retrying ${asked}`)
    waitedMs += ms
    try {
      await sleep(ms, ctx.signal)
      return true
    } catch {
      return false
    }
  }

  const logger = {
    debug: (...args: unknown[]) => log.debug(text(args)),
    info: (...args: unknown[]) => log.info(text(args)),
    warn: (...args: unknown[]) => log.warning(text(args)),
    // Escalation never fails the step: Octokit's errors are warnings too.
    error: (...args: unknown[]) => log.warning(text(args))
  }

  // Innermost (next to the auth hook, inside the retry plugin): sees every attempt.
  const innermost = (octokit: Hooked): void => {
    octokit.hook.wrap('request', async (request, options) => {
      const call = options.request[CALL] as Call | undefined
      if (call && ++call.attempts >= MAX_ATTEMPTS) options.request.retries = 0
      try {
        return await request(options)
      } catch (err) {
        // Octokit wraps what fetch throws in a RequestError (status 500, retried): unwrap ours.
        const cause = (err as { cause?: unknown }).cause
        throw cause instanceof GitHubAnswerError ? cause : err
      }
    })
  }

  // Outermost (around the throttling plugin): once per call.
  const outermost = (octokit: Hooked): void => {
    octokit.hook.wrap('request', async (request, options) => {
      // A copy: without a `request` option of the caller's, `options.request` is the instance's
      // defaults, and both plugins write their retry counts into it. `retries` only ever 0 here:
      // the retry plugin's limiter retries any error whose request carries a `retries` above 0,
      // a 403 or 404 too; the plugin's own choice (5xx) sets it on the error alone.
      options.request = {
        ...options.request,
        retries:
          options.method.toUpperCase() === 'POST' || options.request.retries === 0 ? 0 : undefined,
        retryCount: 0,
        [CALL]: { attempts: 0 } satisfies Call
      }
      for (;;) {
        try {
          return await request(options)
        } catch (err) {
          // A Retry-After the throttling plugin does not know (it goes by GitHub's message).
          const seconds = unrecognisedRetryAfter(err)
          if (seconds === undefined || !(await mayWait(seconds, options, 'rate limit'))) throw err
        }
      }
    })
  }

  const toolkit = defaults.request as { fetch?: Fetch; agent?: unknown } | undefined
  const base = toolkit?.fetch ?? globalThis.fetch
  // The plugin awaits a handler's answer (through Bottleneck's Events.trigger), though its type
  // says void: true retries, now, for mayWait has waited.
  const onLimit = (what: string) =>
    ((seconds: number, options: unknown) =>
      mayWait(seconds, options as Options, what)) as unknown as (
      seconds: number,
      options: unknown
    ) => void
  return getOctokit(
    settings.token,
    {
      baseUrl: settings.apiUrl,
      userAgent: 'aep-retry-dataflow-run',
      log: logger,
      // Replaces @actions/github's `request` defaults: its proxy agent and fetch are kept.
      request: {
        agent: toolkit?.agent,
        fetch: guardedFetch(base, apiOrigin, ctx),
        log: logger
      },
      retry: {
        retries: MAX_RETRIES,
        doNotRetry: DO_NOT_RETRY,
        retryAfterBaseValue: pacing.retryBaseMs ?? RETRY_BASE_MS
      },
      throttle: {
        // Its own limiter keys: one client's spacing of writes does not hold up another's.
        id: `aep-retry-dataflow-run-${++clients}`,
        fallbackSecondaryRateRetryAfter: 60,
        // The wait happens in mayWait, where it can be cancelled; the plugin then retries at once.
        retryAfterBaseValue: 0,
        ...(pacing.spaceWrites === false
          ? { write: AT_ONCE as never, notifications: AT_ONCE as never }
          : {}),
        onSecondaryRateLimit: onLimit('secondary rate limit'),
        onRateLimit: onLimit('rate limit')
      }
    },
    innermost as never,
    retry,
    throttling,
    outermost as never
  )
}

/** A 403/429 with Retry-After that GitHub's message does not call a rate limit: its seconds. */
function unrecognisedRetryAfter(err: unknown): number | undefined {
  const e = err as ErrorLike
  if (e?.status !== 403 && e?.status !== 429) return undefined
  const headers = e.response?.headers ?? {}
  if (/\bsecondary rate\b/i.test(String(e.message)) || headers['x-ratelimit-remaining'] === '0')
    return undefined
  const seconds = Number(headers['retry-after'])
  return headers['retry-after'] !== undefined && Number.isFinite(seconds) ? seconds : undefined
}

// ---------------------------------------------------------------------------------------------
// fetch: one origin, no automatic redirect, a timeout per attempt, whole JSON or an error

const REDIRECTS = new Set([301, 302, 303, 307, 308])

function guardedFetch(base: Fetch, apiOrigin: string, ctx: GitHubClientContext): Fetch {
  return async (input, init = {}) => {
    let url = new URL(String(input))
    if (url.origin !== apiOrigin)
      throw new GitHubAnswerError(
        'origin',
        `Refused to send a request to ${url.origin}: the token and the issue bodies go only to GITHUB_API_URL (${apiOrigin})`
      )
    const method = (init.method ?? 'GET').toUpperCase()
    const timeout = AbortSignal.timeout(ctx.requestTimeoutMs)
    const signals = [init.signal, ctx.signal, timeout].filter((s): s is AbortSignal => !!s)
    const signal = AbortSignal.any(signals)
    const send = (target: URL): Promise<Response> =>
      base(target.href, { ...init, redirect: 'manual', signal })
    try {
      let res = await send(url)
      for (let followed = false; REDIRECTS.has(res.status) && res.headers.has('location');) {
        const to = new URL(res.headers.get('location') ?? '', url)
        const id = requestIdOf(res.headers.get('x-github-request-id'))
        await res.body?.cancel().catch(() => undefined)
        if (to.origin !== url.origin)
          throw new GitHubAnswerError(
            'redirect',
            `GitHub answered ${res.status} with a redirect to ${to.origin}, not followed, so the token and the issue body stay with GITHUB_API_URL (${apiOrigin})`,
            res.status,
            id
          )
        if (method !== 'GET' || followed)
          throw new GitHubAnswerError(
            'redirect',
            `GitHub answered ${res.status} with a redirect to ${clean(to.pathname)} for ${method} ${clean(url.pathname)}, not followed${followed ? ' (a second redirect)' : ': only a GET is re-issued'}`,
            res.status,
            id
          )
        followed = true
        url = to
        res = await send(url)
      }
      return await whole(res, method, signal)
    } catch (err) {
      if (timeout.aborted && !ctx.signal.aborted && !init.signal?.aborted)
        throw new GitHubAnswerError(
          'timeout',
          `GitHub did not answer ${method} ${clean(url.pathname)} within ${ctx.requestTimeoutMs} ms`
        )
      throw err
    }
  }
}

/** A 2xx answer read whole and checked to be JSON; any other answer as it came. */
async function whole(res: Response, method: string, signal: AbortSignal): Promise<Response> {
  if (res.status < 200 || res.status >= 300 || res.status === 204 || res.status === 205) return res
  if (method === 'HEAD') return res
  const id = requestIdOf(res.headers.get('x-github-request-id'))
  const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase()
  if (type !== 'application/json' && !type.endsWith('+json')) {
    const page = await res.text().catch(() => '')
    const title = /<title[^>]*>([^<]{1,200})/i.exec(page)?.[1]
    throw new GitHubAnswerError(
      'not-json',
      `GitHub answered ${res.status} with ${clean(type) || 'no content type'}, not JSON${title ? ` ("${clean(title).slice(0, 100)}")` : ''}: a proxy's login or error page? Not trusted`,
      res.status,
      id
    )
  }
  let body: string
  try {
    body = await res.text()
  } catch (err) {
    if (signal.aborted) throw err
    throw new GitHubAnswerError(
      'cut-short',
      `GitHub's answer (${res.status}) was cut short: ${clean(causeOf(err))}`,
      res.status,
      id
    )
  }
  try {
    JSON.parse(body)
  } catch {
    throw new GitHubAnswerError(
      'cut-short',
      `GitHub's answer (${res.status}) is not whole JSON (${body.length} characters): cut short?`,
      res.status,
      id
    )
  }
  const copy = new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers
  })
  Object.defineProperty(copy, 'url', { value: res.url })
  return copy
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause
  const inner = cause instanceof Error ? `${cause.message}` : ''
  return [err instanceof Error ? err.message : String(err), inner].filter(Boolean).join(': ')
}

// ---------------------------------------------------------------------------------------------
// What GitHub said, checked

export interface IssueShape {
  number: number
  html_url: string
  body: string | null
  state?: string
  pull_request?: unknown
  labels?: unknown[]
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** An issue as GitHub describes one: a positive integer `number`, `html_url`, `body` or null. */
export function isIssue(data: unknown): data is IssueShape {
  return (
    isRecord(data) &&
    Number.isSafeInteger(data.number) &&
    (data.number as number) > 0 &&
    typeof data.html_url === 'string' &&
    (typeof data.body === 'string' || data.body === null) &&
    (data.labels === undefined || Array.isArray(data.labels))
  )
}

/** A page of issues: an array (possibly empty) of which every item is an issue. */
export function isIssueList(data: unknown): data is IssueShape[] {
  return Array.isArray(data) && data.every(isIssue)
}

/** `data` if `guard` accepts it, else a GitHubAnswerError naming `what` was expected. */
export function checked<T>(data: unknown, guard: (data: unknown) => data is T, what: string): T {
  if (guard(data)) return data
  const seen =
    typeof data === 'string'
      ? `text of ${data.length} characters`
      : Array.isArray(data)
        ? `a list of ${data.length} of which not all are what GitHub sends`
        : data === null
          ? 'null'
          : typeof data === 'object'
            ? 'an object without the fields GitHub sends'
            : typeof data
  throw new GitHubAnswerError('shape', `GitHub's answer is not ${what} (${seen}): not trusted`)
}

// ---------------------------------------------------------------------------------------------
// GitHub's refusal, in words

export type RefusalKind =
  | 'locked'
  | 'secondary-rate-limit'
  | 'rate-limit'
  | 'permission'
  | 'not-found'
  | 'gone'
  | 'bad-token'
  | 'validation'
  | 'server'
  | 'answer'
  | 'cancelled'
  | 'unreachable'
  | 'other'

interface ErrorLike {
  name?: string
  message?: string
  status?: number
  request?: { url?: string; method?: string }
  response?: { headers?: Record<string, string | undefined>; data?: unknown }
}

/** What kind of refusal (or failure) `err` is: for a caller deciding whether to go on. */
export function refusalKind(err: unknown): RefusalKind {
  if (err instanceof GitHubAnswerError) return 'answer'
  const e = (err ?? {}) as ErrorLike
  if (e.name === 'AbortError') return 'cancelled'
  const status = e.status
  const headers = e.response?.headers ?? {}
  const said = saidBy(err)
  if (!e.response || typeof status !== 'number') return 'unreachable'
  if (status === 403 || status === 429) {
    // GitHub's documented order: its message, then remaining 0 (wait for the reset), then a
    // Retry-After; a plain 403 ("Resource not accessible by integration") has none of them.
    if (/\bsecondary rate limit\b/i.test(said)) return 'secondary-rate-limit'
    if (headers['x-ratelimit-remaining'] === '0') return 'rate-limit'
    if (headers['retry-after'] !== undefined || status === 429) return 'secondary-rate-limit'
    if (/\brate limit exceeded\b/i.test(said)) return 'rate-limit'
    if (/\block(ed)?\b/i.test(said)) return 'locked'
    if (/resource not accessible by (integration|personal access token)/i.test(said))
      return 'permission'
    return 'other'
  }
  if (status === 401) return 'bad-token'
  if (status === 404) return 'not-found'
  if (status === 410) return 'gone'
  if (status === 422) return 'validation'
  if (status >= 500) return 'server'
  return 'other'
}

/**
 * What GitHub answered, in words a workflow author can act on, with GitHub's own message
 * (redacted, one line, at most 300 characters) and its request id. Never the token: nothing
 * from the request's headers is used.
 */
export function describeGitHubRefusal(err: unknown, now = Date.now()): string {
  const e = (err ?? {}) as ErrorLike
  const headers = e.response?.headers ?? {}
  const id =
    err instanceof GitHubAnswerError ? err.requestId : requestIdOf(headers['x-github-request-id'])
  const idText = id ? ` (request id ${id})` : ''
  if (err instanceof GitHubAnswerError) return `${clean(err.message)}${idText}`
  const said = saidBy(err)
  const tail = `${said ? ` GitHub said: "${said}"` : ''}${idText}`
  const status = e.status
  const where = target(e.request?.url)
  switch (refusalKind(err)) {
    case 'cancelled':
      return 'The request to GitHub was cancelled: the step is stopping.'
    case 'unreachable':
      return `Could not reach GitHub: ${
        clean(deepest(err))
          .slice(0, MESSAGE_CHARS)
          .replace(/[.\s]+$/, '') || 'no answer'
      }.`
    case 'locked':
      return `GitHub refused: ${where.issue ? `issue #${where.issue}` : 'the issue'} is locked, and a locked issue takes no comments. Unlock it, or close it so the next run opens a new one.${tail}`
    case 'secondary-rate-limit': {
      const after = headers['retry-after']
      return `GitHub's secondary rate limit refused the request (${status}${after !== undefined ? `, retry after ${clean(after)} s` : ''}): too many requests or writes from this token in a short time. The action waits at most a minute for it and not past the step's time; a later run files what is left.${tail}`
    }
    case 'rate-limit': {
      const reset = Number(headers['x-ratelimit-reset'])
      const limit = headers['x-ratelimit-limit']
      const resetAt = reset > 0 ? isoTime(reset * 1000) : undefined
      const when = resetAt
        ? `; it resets at ${resetAt} (in ${Math.max(0, Math.ceil((reset * 1000 - now) / 60_000))} min)`
        : ''
      return `GitHub's API rate limit for this token is used up (${status}${limit ? `, ${clean(limit)} requests an hour` : ''})${when}. Other jobs using the same token count too; a run after the reset gets through.${tail}`
    }
    case 'permission':
      return `GitHub answered 403: the token may not write issues in this repository: add \`permissions: issues: write\` to the job (or the workflow).${tail}`
    case 'bad-token':
      return `GitHub refused the token (401): check \`github-token\` (expired, revoked, or for another GitHub than GITHUB_API_URL).${tail}`
    case 'not-found':
      return where.issue
        ? `GitHub answered 404 for issue #${where.issue}${where.repo ? ` of ${where.repo}` : ''}: deleted, transferred, or not visible with this token.${tail}`
        : `GitHub answered 404: the repository${where.repo ? ` ${where.repo}` : ''} was not found with this token (a private repository it may not read looks the same). Check GITHUB_REPOSITORY and the token.${tail}`
    case 'gone':
      return `GitHub answered 410: ${/disabled/i.test(said) ? 'issues are turned off in this repository: turn them on in its settings, or turn off `issue-on-failure`.' : 'gone.'}${tail}`
    case 'validation':
      return `GitHub refused the content (422)${/too long/i.test(said) ? ': the text is longer than GitHub allows' : ''}.${tail}`
    case 'server':
      return `GitHub answered ${status}, a fault on its side (retried, except a POST that may have been done).${tail}`
    default:
      return `GitHub answered ${status}.${tail}`
  }
}

/** GitHub's own message: `message` and each validation error's, else the error's text. */
function saidBy(err: unknown): string {
  const e = (err ?? {}) as ErrorLike
  const data = e.response?.data
  let said: string
  if (isRecord(data) && typeof data.message === 'string') {
    const details = Array.isArray(data.errors)
      ? data.errors
          .map(d =>
            typeof d === 'string'
              ? d
              : isRecord(d)
                ? typeof d.message === 'string'
                  ? d.message
                  : [d.resource, d.field, d.code].filter(x => typeof x === 'string').join(' ')
                : ''
          )
          .filter(Boolean)
      : []
    said = details.length ? `${data.message}: ${details.join('; ')}` : data.message
  } else {
    said = typeof e.message === 'string' ? e.message : String(err)
    if (/<[a-z!][^>]*>/i.test(said)) said = said.replace(/<[^>]*>/g, ' ')
  }
  return clean(said).slice(0, MESSAGE_CHARS)
}

/** The innermost cause's message (fetch's "fetch failed" wraps what happened), with its code. */
function deepest(err: unknown): string {
  let found = ''
  let at: unknown = err
  for (let depth = 0; depth < 6 && at instanceof Error; depth++, at = at.cause) {
    const code = (at as { code?: unknown }).code
    if (at.message) found = typeof code === 'string' ? `${at.message} (${code})` : at.message
  }
  return found
}

/** Server text made one safe line: redacted, control characters and runs of space as one space. */
function clean(s: string): string {
  return redact(
    redact(s)
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ') // eslint-disable-line no-control-regex
      .replace(/\s+/g, ' ')
      .trim()
  )
}

function requestIdOf(value: string | null | undefined): string | undefined {
  return value && /^[\w:.-]{1,100}$/.test(value) ? value : undefined
}

function pathOf(url: string): string {
  try {
    return clean(new URL(url).pathname)
  } catch {
    return clean(url.split('?')[0])
  }
}

function target(url: string | undefined): { repo?: string; issue?: string } {
  const m = /\/repos\/([\w.-]+\/[\w.-]+)(?:\/issues\/(\d+))?/.exec(url ?? '')
  return { repo: m?.[1], issue: m?.[2] }
}

function text(args: unknown[]): string {
  return args
    .map(a => (a instanceof Error ? a.message : typeof a === 'string' ? a : safeJson(a)))
    .join(' ')
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
