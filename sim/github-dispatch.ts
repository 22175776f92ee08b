/**
 * A stand-in for GitHub's `POST /repos/{owner}/{repo}/dispatches` (repository_dispatch), on
 * loopback, for the relay's tests (relay/). Answers like GitHub: 204 with no body on success,
 * 401 for a wrong or missing token, 404 for another repository or route, 403 without a
 * User-Agent, 400 for JSON it cannot parse, 422 for a missing `event_type` or a `client_payload`
 * of more than 10 top-level properties. Records every request and every accepted dispatch, and
 * refuses on demand (5xx, 403 + retry-after, 429, a rate limit with x-ratelimit-reset, a redirect).
 * Never part of the action's bundle.
 *
 * Its own answers are typed with GitHub's published OpenAPI schema (@octokit/openapi-types, type
 * only), so an error body that drifts from GitHub's fails the type-check. A test's `Refusal.body`
 * stays free: hostile answers are what those tests are about.
 */
import type * as http from 'node:http'
import type { components } from '@octokit/openapi-types'
import { LoopbackServer } from './loopback.js'

type GitHubError = components['schemas']['basic-error']
type GitHubValidationError = components['schemas']['validation-error']

export interface Dispatch {
  owner: string
  repo: string
  eventType: string
  clientPayload: Record<string, unknown>
  /** Milliseconds since the epoch at which the stand-in accepted it. */
  at: number
}

export interface DispatchRequest {
  method: string
  path: string
  authorization?: string
  userAgent?: string
  body: string
  status: number
  at: number
}

/** One answer the stand-in gives instead of handling the request. */
export interface Refusal {
  status: number
  headers?: Record<string, string>
  /** JSON body; GitHub's `{message}` when left out. */
  body?: unknown
}

/** GitHub's limit on `client_payload`'s top-level properties. */
export const MAX_CLIENT_PAYLOAD_PROPERTIES = 10
const MAX_REQUEST_BYTES = 1024 * 1024

export class GitHubDispatchStandIn {
  url = ''
  readonly token: string
  readonly repository: string
  readonly dispatches: Dispatch[] = []
  readonly requests: DispatchRequest[] = []
  /** Answer every request this way (after the queue below is used up) until cleared. */
  refuseAlways?: Refusal
  /** Refuse a dispatch whose client_payload this picks (checked after the queue, before the rest). */
  refuseIf?: (clientPayload: Record<string, unknown>) => Refusal | undefined
  /** Hold every answer this long (a slow GitHub: about 450 ms per dispatch has been seen). */
  delayMs = 0
  /** Requests being answered now, and the most there ever were at once. */
  inFlight = 0
  maxInFlight = 0
  private readonly queue: Refusal[] = []
  private readonly server: LoopbackServer

  /** @param repository `owner/repo`, the only repository the token can dispatch to. */
  constructor(token = 'ghs_DispatchStandIn0123456789abcdefABCD', repository = 'acme/aep-ops') {
    this.token = token
    this.repository = repository
    this.server = new LoopbackServer((req, res) => {
      const chunks: Buffer[] = []
      let size = 0
      req.on('data', (c: Buffer) => {
        size += c.length
        if (size <= MAX_REQUEST_BYTES) chunks.push(c)
      })
      req.on('end', () => {
        this.inFlight++
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
        res.on('close', () => this.inFlight--)
        const handle = () => this.handle(req, res, Buffer.concat(chunks).toString('utf8'), size)
        if (this.delayMs > 0) setTimeout(handle, this.delayMs)
        else handle()
      })
    })
  }

  async start(): Promise<this> {
    this.url = await this.server.start()
    return this
  }

  stop(): Promise<void> {
    return this.server.stop()
  }

  /** Answer the next requests with these refusals, one each, in order. */
  refuseNext(...refusals: Refusal[]): this {
    this.queue.push(...refusals)
    return this
  }

  /** Everything the stand-in was sent, for leak scans. */
  sentText(): string {
    return this.requests.map(r => `${r.method} ${r.path}\n${r.body}`).join('\n')
  }

  private refusalFor(raw: string): Refusal | undefined {
    if (!this.refuseIf) return undefined
    try {
      const payload = (JSON.parse(raw) as { client_payload?: unknown }).client_payload
      return typeof payload === 'object' && payload !== null
        ? this.refuseIf(payload as Record<string, unknown>)
        : undefined
    } catch {
      return undefined
    }
  }

  private handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    raw: string,
    size: number
  ): void {
    const url = new URL(req.url ?? '/', 'http://x')
    const record: DispatchRequest = {
      method: req.method ?? '',
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
      userAgent: req.headers['user-agent'],
      body: raw,
      status: 0,
      at: Date.now()
    }
    this.requests.push(record)
    const send = (status: number, value?: unknown, headers: Record<string, string> = {}): void => {
      record.status = status
      if (status === 204 || value === undefined) {
        res.writeHead(status, headers)
        res.end()
        return
      }
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
      res.end(JSON.stringify(value))
    }
    // GitHub's error bodies, held to its schema (a 422 has no `status` field in it).
    const fail = (status: number, value: GitHubError): void =>
      send(status, { ...value, status: String(status) } satisfies GitHubError)
    const docs = 'https://docs.github.com/rest/repos/repos#create-a-repository-dispatch-event'

    const refusal = this.queue.shift() ?? this.refuseAlways ?? this.refusalFor(raw)
    if (refusal)
      return send(
        refusal.status,
        refusal.body ??
          (refusal.status >= 300 && refusal.status < 400
            ? undefined
            : ({
                message: `Stand-in refusal ${refusal.status}`,
                status: String(refusal.status)
              } satisfies GitHubError)),
        refusal.headers
      )

    if (!req.headers['user-agent'])
      return fail(403, {
        message:
          'Request forbidden by administrative rules. Please make sure your request has a User-Agent header'
      })
    const auth = req.headers.authorization ?? ''
    if (auth !== `Bearer ${this.token}` && auth !== `token ${this.token}`)
      return fail(401, { message: 'Bad credentials', documentation_url: docs })
    const m = /^\/repos\/([^/]+)\/([^/]+)\/dispatches$/.exec(url.pathname)
    if (!m || req.method !== 'POST' || `${m[1]}/${m[2]}` !== this.repository)
      return fail(404, { message: 'Not Found', documentation_url: docs })
    if (size > MAX_REQUEST_BYTES) return fail(413, { message: 'Payload too large' })

    let body: unknown
    try {
      body = JSON.parse(raw)
    } catch {
      return fail(400, { message: 'Problems parsing JSON', documentation_url: docs })
    }
    const invalid = (message: string) =>
      send(422, {
        message: `Invalid request.\n\n${message}`,
        documentation_url: docs
      } satisfies GitHubValidationError)
    if (!body || typeof body !== 'object' || Array.isArray(body))
      return invalid('Invalid input: object is not an object.')
    const { event_type: eventType, client_payload: payload } = body as Record<string, unknown>
    if (typeof eventType !== 'string' || eventType.length === 0)
      return invalid('"event_type" wasn\'t supplied.')
    if (eventType.length > 100) return invalid('event_type is too long (maximum is 100 characters)')
    if (
      payload !== undefined &&
      (typeof payload !== 'object' || !payload || Array.isArray(payload))
    )
      return invalid("For 'properties/client_payload', it is not an object.")
    const properties = Object.keys(payload ?? {}).length
    if (properties > MAX_CLIENT_PAYLOAD_PROPERTIES)
      return invalid(
        `No more than ${MAX_CLIENT_PAYLOAD_PROPERTIES} properties are allowed; ${properties} were supplied.`
      )
    this.dispatches.push({
      owner: m[1],
      repo: m[2],
      eventType,
      clientPayload: (payload ?? {}) as Record<string, unknown>,
      at: Date.now()
    })
    send(204)
  }
}
