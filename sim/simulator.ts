/**
 * A Flow Service + IMS simulator on loopback, for the tests, the demo and the benchmark. It
 * answers as Adobe's Flow Service OpenAPI spec and its "Retry failed dataflow runs" tutorial
 * describe, checks the
 * headers the real API requires, plays run lifecycles and injects faults on demand. It is never
 * part of the action's bundle.
 */
import { randomUUID } from 'node:crypto'
import * as http from 'node:http'
import { LoopbackServer } from './loopback.js'

export type Route = 'token' | 'getRun' | 'listRuns' | 'retrigger' | 'listFlows'

/** One injected fault, used by the next request on its route. */
export interface Fault {
  /** Answer with this status (and Adobe-style error body unless `body` is given). */
  status?: number
  body?: string
  headers?: Record<string, string>
  /** Wait this long before answering (after acting, when `act` is set). */
  delayMs?: number
  /** Close the connection without an answer: before reading the request, or after acting on it. */
  reset?: 'before' | 'after'
  /** Perform the real action (e.g. create the new run) and then deliver the fault. */
  act?: boolean
  /** Answer this many bytes of body (e.g. 20 MB). */
  bodyBytes?: number
  /** Act, then send the answer's headers and half its body, and drop the connection. */
  cutShort?: boolean
  /** Called when the fault is served, before the answer: e.g. the scheduler starts a run meanwhile. */
  meanwhile?: () => void
}

export interface RunSpec {
  id?: string
  flowId?: string
  status?: string
  createdAt?: number
  startedAt?: number
  completedAt?: number
  records?: number
  errors?: { code: string; message: string }[]
  sandbox?: string
  /** Who created the run: the scheduler by default, the caller's `x-api-key` for re-triggered runs. */
  createdClient?: string
}

/** The client Adobe's scheduler creates runs with (Adobe's samples). */
export const SCHEDULER = 'acp_foundation_connectors'

export interface FlowSpec {
  id?: string
  name?: string
  state?: 'enabled' | 'disabled'
  /** The source's spec: batch sources can be retried, streaming ones cannot (1333-400). */
  streaming?: boolean
}

/** How a re-triggered run behaves when polled. */
export interface Lifecycle {
  /** 404 for this many reads before the run becomes readable. */
  notFoundReads?: number
  /** In progress for this many reads, then final. Infinity: never finishes. */
  inProgressReads?: number
  final?: string
  records?: number
  errors?: { code: string; message: string }[]
}

export interface SimulatorOptions {
  orgId?: string
  apiKey?: string
  clientSecret?: string
  /** Static tokens accepted besides those IMS issues. */
  staticTokens?: string[]
  tokenTtlSeconds?: number
  /** Added to every answer. */
  latencyMs?: number
  /** Answer 429 past this many requests per window. */
  rateLimit?: { requests: number; windowMs: number; retryAfterSeconds: number }
  pageSize?: number
}

export interface RecordedRequest {
  method: string
  path: string
  route?: Route
  headers: http.IncomingHttpHeaders
  body: string
  at: number
}

interface StoredRun {
  run: Record<string, unknown>
  lifecycle?: Lifecycle
  reads: number
}

const BASE = '/data/foundation/flowservice'
const UUID = '[0-9a-fA-F-]{36}'

export class Simulator {
  readonly orgId: string
  readonly apiKey: string
  readonly clientSecret: string
  readonly requests: RecordedRequest[] = []
  /** Every token IMS issued, so tests can prove none of them leaked. */
  readonly issuedTokens: string[] = []
  url = ''
  /** Requests answered 429 by the rate limit. */
  rateLimitedCount = 0
  /** The lifecycle given to runs created by re-trigger from now on. */
  nextLifecycle: Lifecycle = { inProgressReads: 1, final: 'success', records: 42 }

  private readonly runs = new Map<string, StoredRun>()
  /** Runs by flow, so a sandbox of a thousand flows lists in time proportional to its size. */
  private readonly byFlow = new Map<string, StoredRun[]>()
  private readonly flows = new Map<string, Required<FlowSpec>>()
  private readonly tokens = new Map<string, number>()
  private readonly faults = new Map<Route, Fault[]>()
  private readonly server: LoopbackServer
  private window = { start: 0, count: 0 }

  constructor(private readonly options: SimulatorOptions = {}) {
    this.orgId = options.orgId ?? '5C1328435BF324E90A49402A@AdobeOrg'
    this.apiKey = options.apiKey ?? 'sim-client-id'
    this.clientSecret = options.clientSecret ?? 'sim-client-secret-p8e-XyZ'
    for (const token of options.staticTokens ?? []) this.tokens.set(token, Infinity)
    this.server = new LoopbackServer((req, res) => void this.handle(req, res))
  }

  async start(port = 0): Promise<string> {
    this.url = await this.server.start(port)
    return this.url
  }

  stop(): Promise<void> {
    return this.server.stop()
  }

  /** Queues faults for the next requests on a route, in order. */
  fault(route: Route, ...faults: Fault[]): this {
    this.faults.set(route, [...(this.faults.get(route) ?? []), ...faults])
    return this
  }

  addRun(spec: RunSpec = {}, lifecycle?: Lifecycle): string {
    const id = spec.id ?? randomUUID()
    const now = Date.now()
    const status = spec.status ?? 'failed'
    const finished = status !== 'inProgress'
    const flowId = spec.flowId ?? randomUUID()
    const stored: StoredRun = {
      run: {
        id,
        flowId,
        createdAt: spec.createdAt ?? now - 60_000,
        updatedAt: now,
        createdClient: spec.createdClient ?? SCHEDULER,
        createdBy: `${spec.createdClient ?? SCHEDULER}@AdobeID`,
        sandboxName: spec.sandbox ?? 'prod',
        imsOrgId: this.orgId,
        eTag: `"${randomUUID()}"`,
        metrics: {
          durationSummary: {
            startedAtUTC: spec.startedAt ?? spec.createdAt ?? now - 60_000,
            ...(finished ? { completedAtUTC: spec.completedAt ?? now - 30_000 } : {})
          },
          recordSummary: {
            inputRecordCount: spec.records ?? 0,
            outputRecordCount: spec.records ?? 0,
            failedRecordCount: 0
          },
          statusSummary: {
            status,
            ...(spec.errors ? { errors: spec.errors } : {})
          }
        },
        activities: spec.errors
          ? [
              {
                id: randomUUID(),
                name: 'Copy Activity',
                statusSummary: { status, errors: spec.errors }
              }
            ]
          : []
      },
      lifecycle,
      reads: 0
    }
    this.runs.set(id, stored)
    this.byFlow.set(flowId, [...(this.byFlow.get(flowId) ?? []), stored])
    return id
  }

  /** A dataflow, listed by `GET /flows` with its `lastRunDetails` kept in step with its runs. */
  addFlow(spec: FlowSpec = {}): string {
    const id = spec.id ?? randomUUID()
    this.flows.set(id, {
      id,
      name: spec.name ?? `flow-${id.slice(0, 8)}`,
      state: spec.state ?? 'enabled',
      streaming: spec.streaming ?? false
    })
    return id
  }

  run(id: string): Record<string, unknown> | undefined {
    return this.runs.get(id)?.run
  }

  /** Runs of a flow, newest first. */
  runsOf(flowId: string): Record<string, unknown>[] {
    return (this.byFlow.get(flowId) ?? [])
      .map(s => s.run)
      .sort((a, b) => (b.createdAt as number) - (a.createdAt as number))
  }

  count(route: Route): number {
    return this.requests.filter(r => r.route === route).length
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim')
    const route = routeOf(req.method ?? '', url.pathname)
    const fault = route ? this.faults.get(route)?.shift() : undefined
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      route,
      headers: req.headers,
      body: '',
      at: Date.now()
    }
    this.requests.push(recorded)
    if (fault?.reset === 'before') {
      req.socket.destroy()
      return
    }
    const body = (recorded.body = await readBody(req))
    fault?.meanwhile?.()
    if (this.options.latencyMs) await delay(this.options.latencyMs)

    const limited = this.rateLimited()
    if (limited)
      return send(res, 429, adobeError('429', 'Too many requests'), {
        'retry-after': String(limited)
      })

    // A fault with a status or body answers instead of the real action (nothing is done);
    // `act`, a reset after reading, or a bare delay let the real action happen first.
    const acts =
      !fault ||
      !!fault.act ||
      fault.reset === 'after' ||
      (fault.status === undefined && fault.body === undefined && !fault.bodyBytes)
    const answer: Answer = acts ? this.answer(route, req, url, body) : { status: 500, body: '' }

    if (fault) {
      if (fault.delayMs) await delay(fault.delayMs)
      if (fault.reset === 'after') {
        req.socket.destroy()
        return
      }
      if (fault.cutShort) {
        const body = Buffer.from(answer.body)
        res.writeHead(answer.status, {
          'content-type': 'application/json',
          'content-length': body.length
        })
        res.write(body.subarray(0, body.length >> 1))
        setTimeout(() => req.socket.destroy(), 20)
        return
      }
      if (fault.bodyBytes) {
        res.writeHead(fault.status ?? 500, { 'content-type': 'application/json', ...fault.headers })
        const chunk = Buffer.alloc(64 * 1024, 'x')
        let left = fault.bodyBytes
        const pump = (): void => {
          while (left > 0) {
            left -= chunk.length
            if (!res.write(chunk)) return void res.once('drain', pump)
          }
          res.end()
        }
        res.on('error', () => undefined)
        return pump()
      }
      if (fault.status !== undefined || fault.body !== undefined) {
        const status = fault.status ?? answer.status
        const text =
          fault.body ??
          (status >= 400
            ? adobeError(String(status), http.STATUS_CODES[status] ?? 'Error')
            : answer.body)
        return send(res, status, text, fault.headers ?? {})
      }
      if (fault.headers) answer.headers = { ...answer.headers, ...fault.headers }
    }
    send(res, answer.status, answer.body, answer.headers ?? {})
  }

  private rateLimited(): number | undefined {
    const limit = this.options.rateLimit
    if (!limit) return undefined
    const now = Date.now()
    if (now - this.window.start >= limit.windowMs) this.window = { start: now, count: 0 }
    this.window.count++
    if (this.window.count <= limit.requests) return undefined
    this.rateLimitedCount++
    return limit.retryAfterSeconds
  }

  private token(body: string): Answer {
    const form = new URLSearchParams(body)
    if (form.get('grant_type') !== 'client_credentials') {
      return {
        status: 400,
        body: JSON.stringify({
          error: 'unsupported_grant_type',
          error_description: 'grant_type must be client_credentials'
        })
      }
    }
    if (form.get('client_id') !== this.apiKey || form.get('client_secret') !== this.clientSecret) {
      return {
        status: 401,
        body: JSON.stringify({
          error: 'invalid_client',
          error_description: 'invalid client_id parameter'
        })
      }
    }
    if (!form.get('scope'))
      return {
        status: 400,
        body: JSON.stringify({ error: 'invalid_scope', error_description: 'scope is missing' })
      }
    const token = `eyJ${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`
    const ttl = this.options.tokenTtlSeconds ?? 86_399
    this.tokens.set(token, Date.now() + ttl * 1000)
    this.issuedTokens.push(token)
    return {
      status: 200,
      body: JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: ttl })
    }
  }

  /** The gateway's checks, in the order Adobe applies them. */
  private checkHeaders(req: http.IncomingMessage): Answer | undefined {
    const apiKey = req.headers['x-api-key']
    if (!apiKey)
      return {
        status: 403,
        body: JSON.stringify({ error_code: '403000', message: 'Api Key is required' })
      }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const expiry = auth ? this.tokens.get(auth) : undefined
    if (!auth || expiry === undefined || expiry < Date.now()) {
      return {
        status: 401,
        body: JSON.stringify({ error_code: '401013', message: 'Oauth token is not valid' })
      }
    }
    if (apiKey !== this.apiKey)
      return {
        status: 403,
        body: JSON.stringify({ error_code: '403003', message: 'Api Key is invalid' })
      }
    if (req.headers['x-gw-ims-org-id'] !== this.orgId) {
      return {
        status: 403,
        body: adobeError(
          'FLOW-2118-403',
          'Forbidden',
          'The organization in x-gw-ims-org-id is not accessible with this credential'
        )
      }
    }
    if (!req.headers['x-sandbox-name']) {
      return {
        status: 400,
        body: adobeError('FLOW-2105-400', 'Bad request', 'Sandbox header x-sandbox-name is missing')
      }
    }
    return undefined
  }

  private answer(
    route: Route | undefined,
    req: http.IncomingMessage,
    url: URL,
    body: string
  ): Answer {
    if (!route)
      return {
        status: 404,
        body: adobeError(
          'FLOW-1101-404',
          'Resource not found',
          `No route for ${req.method} ${url.pathname}`
        )
      }
    if (route === 'token') return this.token(body)
    const refused = this.checkHeaders(req)
    if (refused) return refused
    const id = /\/runs\/([^/]+)/.exec(url.pathname)?.[1]
    // Runs live in one sandbox: asked for from another, they do not exist.
    const stored = id ? this.runs.get(id) : undefined
    if (stored && stored.run.sandboxName !== req.headers['x-sandbox-name']) return notFound(id!)
    if (route === 'getRun') return this.getRun(id!)
    if (route === 'listRuns') {
      // Listings by flow (the action's only kind) read that flow's runs alone.
      const flowId = url.searchParams
        .getAll('property')
        .map(p => /^flowId==(.+)$/.exec(p)?.[1])
        .find(Boolean)
      const runs = flowId ? this.runsOf(flowId) : [...this.runs.values()].map(s => s.run)
      return this.listing(runs, url, '/runs')
    }
    if (route === 'listFlows') return this.listing(this.flowItems(), url, '/flows')
    return this.retrigger(id!, url, String(req.headers['x-api-key']))
  }

  private getRun(id: string): Answer {
    const stored = this.runs.get(id)
    if (!stored) return notFound(id)
    stored.reads++
    const life = stored.lifecycle
    if (life) {
      const hidden = life.notFoundReads ?? 0
      if (stored.reads <= hidden) return notFound(id)
      if (stored.reads - hidden > (life.inProgressReads ?? 0)) this.finish(stored)
    }
    return { status: 200, body: JSON.stringify({ items: [stored.run] }) }
  }

  private finish(stored: StoredRun): void {
    const life = stored.lifecycle!
    const metrics = stored.run.metrics as Record<string, Record<string, unknown>>
    if (metrics.statusSummary.status !== 'inProgress') return
    const records = life.records ?? 0
    metrics.statusSummary = {
      status: life.final ?? 'success',
      ...(life.errors ? { errors: life.errors } : {})
    }
    metrics.durationSummary = {
      ...metrics.durationSummary,
      completedAtUTC: (metrics.durationSummary.startedAtUTC as number) + 95_000
    }
    metrics.recordSummary = {
      inputRecordCount: records,
      outputRecordCount: life.final === 'failed' ? 0 : records,
      failedRecordCount: life.final === 'failed' ? records : 0
    }
  }

  /** Flows as `GET /flows` describes them (FlowItemDTO), with each one's latest run. */
  private flowItems(): Record<string, unknown>[] {
    return [...this.flows.values()].map(flow => {
      const [latest] = this.runsOf(flow.id)
      const metrics = latest?.metrics as Record<string, Record<string, unknown>> | undefined
      return {
        id: flow.id,
        name: flow.name,
        state: flow.state,
        flowSpec: { id: flow.streaming ? 'streaming-spec' : 'batch-spec', version: '1.0' },
        ...(latest
          ? {
              lastRunDetails: {
                id: latest.id,
                state: String(metrics!.statusSummary.status),
                startedAtUTC: metrics!.durationSummary.startedAtUTC,
                completedAtUTC: metrics!.durationSummary.completedAtUTC
              }
            }
          : {})
      }
    })
  }

  /** One page of a listing: `property` filters (ANDed), `orderby`, `limit` and continuation. */
  private listing(all: Record<string, unknown>[], url: URL, path: string): Answer {
    const filters = url.searchParams.getAll('property').flatMap(p => p.split(','))
    let runs = all
    for (const filter of filters) {
      const m = /^([\w.]+)(==|!=|>=|<=|>|<)(.*)$/.exec(filter)
      if (!m)
        return {
          status: 400,
          body: adobeError('FLOW-1100-400', 'Bad request', `Invalid property filter ${filter}`)
        }
      const [, path, op, value] = m
      runs = runs.filter(run => compare(pick(run, path), op, value))
    }
    const order = url.searchParams.get('orderby')
    if (order) {
      const field = order.replace(/^[-+]/, '')
      const sign = order.startsWith('-') ? -1 : 1
      runs.sort((a, b) => sign * ((pick(a, field) as number) - (pick(b, field) as number)))
    }
    const size = Math.min(
      Number(url.searchParams.get('limit') ?? this.options.pageSize ?? 100),
      this.options.pageSize ?? 100
    )
    const offset = Number(url.searchParams.get('continuationToken') ?? 0)
    const page = runs.slice(offset, offset + size)
    const more = offset + size < runs.length
    const next = new URLSearchParams(url.searchParams)
    next.set('continuationToken', String(offset + size))
    return {
      status: 200,
      body: JSON.stringify({
        items: page,
        _links: more ? { next: { href: `${path}?${next.toString()}` } } : {}
      })
    }
  }

  private retrigger(id: string, url: URL, caller: string): Answer {
    if (!/^re-?trigger$/i.test((url.searchParams.get('op') ?? '').replace('_', '-'))) {
      return {
        status: 400,
        body: adobeError(
          'FLOW-1100-400',
          'Bad request',
          `Unsupported op ${url.searchParams.get('op')}`
        )
      }
    }
    const stored = this.runs.get(id)
    if (!stored) return notFound(id)
    const flow = this.flows.get(stored.run.flowId as string)
    if (flow?.streaming)
      return {
        status: 400,
        body: adobeError(
          'FLOW-1333-400',
          'Bad request',
          `The flowRunAction=re-trigger is not supported for source with spec id=streaming-spec`
        )
      }
    if (flow?.state === 'disabled')
      return {
        status: 400,
        body: adobeError(
          'FLOW-1388-400',
          'Bad request',
          'The flow must be in enabled state for re-triggering'
        )
      }
    const metrics = stored.run.metrics as Record<string, Record<string, unknown>>
    const status = String(metrics.statusSummary.status).toLowerCase()
    const ingested = Number(metrics.recordSummary.outputRecordCount ?? 0)
    if (!(status === 'failed' || (status === 'success' && ingested === 0))) {
      return {
        status: 400,
        body: adobeError(
          'FLOW-1387-400',
          'Bad request',
          `The flowRunId=${id} is in an invalid state=${status} for re-triggering`
        )
      }
    }
    const now = Date.now()
    const newId = this.addRun(
      {
        flowId: stored.run.flowId as string,
        status: 'inProgress',
        createdAt: now,
        startedAt: now,
        createdClient: caller
      },
      this.nextLifecycle
    )
    const etag = (this.runs.get(newId)!.run.eTag as string) ?? ''
    return { status: 200, body: JSON.stringify({ id: newId, etag }), created: newId }
  }
}

interface Answer {
  status: number
  body: string
  headers?: Record<string, string>
  created?: string
}

function routeOf(method: string, path: string): Route | undefined {
  if (method === 'POST' && path === '/ims/token/v3') return 'token'
  if (method === 'GET' && path === `${BASE}/runs`) return 'listRuns'
  if (method === 'GET' && path === `${BASE}/flows`) return 'listFlows'
  if (method === 'GET' && new RegExp(`^${BASE}/runs/${UUID}$`).test(path)) return 'getRun'
  if (method === 'POST' && new RegExp(`^${BASE}/runs/${UUID}/action$`).test(path))
    return 'retrigger'
  return undefined
}

export function adobeError(code: string, title: string, detail = title): string {
  const status = Number(code.split('-').pop()) || 500
  return JSON.stringify({
    type: `https://ns.adobe.com/aep/errors/${code}`,
    title,
    status,
    report: { 'detailed-message': detail },
    errorMessage: detail
  })
}

function notFound(id: string): Answer {
  return {
    status: 404,
    body: adobeError('FLOW-1101-404', 'Resource not found', `Run ${id} not found`),
    headers: { 'x-request-id': `req-${id.slice(0, 8)}` }
  }
}

function pick(obj: Record<string, unknown>, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
      obj
    )
}

function compare(actual: unknown, op: string, expected: string): boolean {
  if (typeof actual === 'number') {
    const n = Number(expected)
    return op === '=='
      ? actual === n
      : op === '!='
        ? actual !== n
        : op === '>'
          ? actual > n
          : op === '<'
            ? actual < n
            : op === '>='
              ? actual >= n
              : actual <= n
  }
  const a = (typeof actual === 'string' ? actual : '').toLowerCase()
  const e = expected.toLowerCase()
  return op === '==' ? a === e : op === '!=' ? a !== e : false
}

function send(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string>
): void {
  const html = body.trimStart().startsWith('<')
  res.writeHead(status, {
    'content-type': html ? 'text/html' : 'application/json',
    'x-request-id': randomUUID(),
    ...headers
  })
  res.end(body)
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise(resolve => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString()))
    req.on('error', () => resolve(''))
  })
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}
