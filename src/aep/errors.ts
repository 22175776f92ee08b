import type { HttpResponse } from './http.js'
import { DISABLED_FLOW } from './flows.js'
import { redact } from '../text/secrets.js'

/** The job is being cancelled (SIGTERM/SIGINT): stop, report what was done. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled')
    this.name = 'CancelledError'
  }
}

/** What Adobe said when it refused a request, in the words a data engineer needs. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    readonly requestId: string | undefined,
    message: string
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/**
 * The POST may have re-triggered the run, or may not: the server could have acted before the
 * connection broke or the error was returned. Never retried blindly; see `reconcile.ts`.
 */
export class AmbiguousOutcomeError extends Error {
  constructor(
    message: string,
    /** 'yes' when the server answered 2xx (it acted) but the answer could not be read. */
    readonly acted: 'maybe' | 'yes'
  ) {
    super(message)
    this.name = 'AmbiguousOutcomeError'
  }
}

interface AdobeErrorBody {
  type?: string
  title?: string
  detail?: string
  errorMessage?: string
  message?: string
  error_code?: string | number
  error?: string
  error_description?: string
  report?: { 'detailed-message'?: string }
}

const REQUEST_ID_HEADERS = ['x-request-id', 'x-adobe-request-id', 'x-amz-request-id']

/** Reads Adobe's error code and text from any answer: platform JSON, gateway JSON, IMS, HTML or empty. */
export function readErrorBody(res: HttpResponse): {
  code?: string
  detail: string
  requestId?: string
} {
  // Redacted before anything strips or clips it: a proxy may echo the token as a request id.
  const header = REQUEST_ID_HEADERS.map(h => res.headers[h]).find(
    (v): v is string => typeof v === 'string'
  )
  const requestId = header && clip(redact(header).replace(/[^\x21-\x7e]/g, ''), 100)
  // Redact before anything reshapes the text (parsing, clipping, stripping HTML, folding spaces):
  // a clipped or folded secret would no longer match, and would be printed.
  const body = redact(res.body).trim()
  let parsed: AdobeErrorBody | undefined
  try {
    const value: unknown = JSON.parse(body)
    if (value && typeof value === 'object') parsed = value
  } catch {
    parsed = undefined
  }
  if (parsed) {
    // Any of these may be missing, of another type or a megabyte long: a code is a short word.
    const code = codeOf(
      (typeof parsed.type === 'string' ? parsed.type.split('/').pop() : undefined) ??
        (typeof parsed.error_code === 'string' || typeof parsed.error_code === 'number'
          ? String(parsed.error_code)
          : undefined) ??
        parsed.error
    )
    const texts = [
      parsed.title,
      parsed.report?.['detailed-message'],
      parsed.errorMessage,
      parsed.detail,
      parsed.message,
      parsed.error_description
    ].filter((t): t is string => typeof t === 'string' && t.trim() !== '')
    const unique = [...new Set(texts.map(t => redact(t).trim()))]
    return { code, detail: clip(unique.join(' — ') || body), requestId }
  }
  if (!body) return { detail: '(empty answer)', requestId }
  if (/^\s*</.test(body)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(body)?.[1]
    const text = (title ?? body.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim()
    return { detail: clip(`HTML page: ${text || '(no text)'}`), requestId }
  }
  return { detail: clip(body.replace(/\s+/g, ' ')), requestId }
}

/** `HTTP 503 CODE: text (request id X)`: an answer's status and Adobe's words, on one line. */
export function describeAnswer(res: HttpResponse): string {
  return formatAnswer(res.status, readErrorBody(res))
}

function formatAnswer(
  status: number,
  { code, detail, requestId }: ReturnType<typeof readErrorBody>
): string {
  return `HTTP ${status}${code ? ` ${code}` : ''}: ${detail}${requestId ? ` (request id ${requestId})` : ''}`
}

/** Builds the error for a refused request: what failed, Adobe's words, and what to check. */
export function apiError(what: string, res: HttpResponse, hint?: string): ApiError {
  const body = readErrorBody(res)
  const message = redact(
    `${what} failed: ${formatAnswer(res.status, body)}${hint ? `\n${hint}` : ''}`
  )
  return new ApiError(res.status, body.code, body.requestId, message)
}

/** The JSON of a successful answer; an answer that is not JSON is an error that shows what came. */
export function parseJsonAnswer(res: HttpResponse, what: string): unknown {
  try {
    return JSON.parse(res.body)
  } catch {
    throw new Error(
      redact(
        `${what}: HTTP ${res.status} with an answer that is not JSON: ${readErrorBody(res).detail}`
      )
    )
  }
}

/** What to check, by status, for calls to the Flow Service. */
export function flowServiceHint(
  status: number,
  ctx: { runId?: string; sandbox: string; oauth: boolean; code?: string }
): string | undefined {
  // Adobe's refusals of a re-trigger (sources error catalogue): a retry will not change them.
  const code = ctx.code ?? ''
  if (code.includes('1387-400'))
    return `Adobe refuses to re-trigger run ${ctx.runId ?? ''} in its current state: only failed runs (and successful runs that ingested nothing) can be retried. Check the run's status in Sources > Dataflows.`
  if (code.includes('1388-400')) return `The dataflow is disabled, and ${DISABLED_FLOW}.`
  if (code.includes('1333-400'))
    return "This source's type cannot be re-triggered (for example a streaming source): only batch sources support retries. Re-ingest the data by other means."
  switch (status) {
    case 400:
      return `Check \`sandbox\` ("${ctx.sandbox}") and \`org-id\`: Adobe rejected a header or parameter.`
    case 401:
      return ctx.oauth
        ? 'The access token was refused: check that `client-id`/`client-secret` belong to an OAuth Server-to-Server credential of this organization.'
        : 'The access token is invalid or expired (static tokens last 24 hours): use `client-id` and `client-secret` (OAuth Server-to-Server) so the action fetches a fresh token.'
    case 403:
      return `Check \`api-key\` (the credential's client ID) and that the credential's product profile grants access to sources/dataflows in sandbox "${ctx.sandbox}".`
    case 404:
      return ctx.runId
        ? `Run ${ctx.runId} was not found in sandbox "${ctx.sandbox}": check \`run-id\` and \`sandbox\`.`
        : `Not found in sandbox "${ctx.sandbox}": check \`sandbox\` and the IDs.`
    case 412:
      return 'The run changed since it was read (etag mismatch): read it again and retry.'
    case 429:
      return 'Adobe is rate-limiting this organization: retry later, or lower `concurrency`.'
    default:
      return status >= 500
        ? 'Adobe Experience Platform had a server error: retry later; if it persists, contact Adobe support with the request id.'
        : undefined
  }
}

/** Clips text already redacted (every caller redacts first: a clip must not cut a secret). */
function clip(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}

/** The longest error code kept: Adobe's are a few words (`CONNECTOR-1001-500`). */
const MAX_CODE = 100

function codeOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined
  return clip(redact(value).replace(/[^\x21-\x7e]/g, ''), MAX_CODE) || undefined
}

export function errorMessage(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err))
}
