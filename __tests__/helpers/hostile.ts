/**
 * A hostile Flow Service on loopback: one server, a hook per route. Each test replaces the hooks
 * it needs with what an attacker (a compromised path, a proxy, text quoted from ingested data)
 * could send; the defaults answer like Adobe for one failed run of one flow.
 */
import { randomUUID } from 'node:crypto'
import * as http from 'node:http'
import { LoopbackServer } from '../../sim/loopback.js'

export type HostileRoute = 'token' | 'getRun' | 'listRuns' | 'listFlows' | 'getFlow' | 'retrigger'
export type Hook = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void

export class HostileServer {
  url = ''
  readonly runId = randomUUID()
  readonly flowId = randomUUID()
  readonly apiKey = 'hostile-client-id'
  readonly orgId = 'ABCDEF0123456789@AdobeOrg'
  readonly token = `tok-${randomUUID()}-${randomUUID()}`
  readonly hits: Record<HostileRoute, number> = {
    token: 0,
    getRun: 0,
    listRuns: 0,
    listFlows: 0,
    getFlow: 0,
    retrigger: 0
  }
  readonly hooks: Partial<Record<HostileRoute, Hook>> = {}
  /** Runs the default re-trigger created, as the listing shows them. */
  readonly created: Record<string, unknown>[] = []
  private readonly server: LoopbackServer

  constructor() {
    this.server = new LoopbackServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      const route = routeOf(req.method ?? '', url.pathname)
      if (!route) return json(res, 404, { title: 'no route' })
      this.hits[route]++
      req.resume()
      req.on('end', () => (this.hooks[route] ?? this.defaults[route])(req, res, url))
    })
  }

  /** A run as Adobe describes it; `over` replaces any field. */
  run(over: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      id: this.runId,
      flowId: this.flowId,
      createdAt: Date.now() - 60_000,
      createdClient: 'acp_foundation_connectors',
      eTag: '"0a0a0a0a-0000-0000-0000-000000000000"',
      metrics: {
        statusSummary: { status: 'failed', errors: [{ code: 'CONNECTOR-1', message: 'boom' }] },
        recordSummary: { outputRecordCount: 0 }
      },
      ...over
    }
  }

  readonly defaults: Record<HostileRoute, Hook> = {
    token: (_req, res) => json(res, 200, { access_token: this.token, expires_in: 86399 }),
    getRun: (_req, res, url) =>
      json(res, 200, { items: [this.run({ id: url.pathname.split('/').pop() })] }),
    listRuns: (_req, res, url) =>
      json(res, 200, { items: this.listed(url, [this.run(), ...this.created]), _links: {} }),
    listFlows: (_req, res) => json(res, 200, this.flowPage()),
    // The same flow read by id (a list of one), as a run named in `run-id` is checked against it.
    getFlow: (_req, res) => json(res, 200, { items: [this.flow()] }),
    retrigger: (_req, res) =>
      json(res, 200, { id: this.create(), etag: '"1100c53e-0000-0200-0000-627138980000"' })
  }

  /** The one source flow, as Adobe describes it. */
  flow(): Record<string, unknown> {
    return {
      id: this.flowId,
      name: 'hostile-flow',
      state: 'enabled',
      inheritedAttributes: { properties: { isSourceFlow: true } },
      lastRunDetails: { id: this.runId, state: 'failed', startedAtUTC: Date.now() - 60_000 }
    }
  }

  /** The one source flow, as a sweep's flow listing describes it: one page, no next. */
  flowPage(): { items: Record<string, unknown>[]; _links: Record<string, unknown> } {
    return { items: [this.flow()], _links: {} }
  }

  /** The route's first request is answered by `first`, every later one by `then`. */
  inTurn(route: HostileRoute, first: Hook, then: Hook): void {
    let served = 0
    this.hooks[route] = (req, res, url) => (++served === 1 ? first : then)(req, res, url)
  }

  /** Creates a run of ours (in progress) as Adobe would on a re-trigger; returns its id. */
  create(): string {
    const id = randomUUID()
    this.created.push(
      this.run({
        id,
        createdAt: Date.now(),
        createdClient: this.apiKey,
        metrics: { statusSummary: { status: 'inProgress' } }
      })
    )
    return id
  }

  /** A listing that honours the `createdAt>` filter, as Adobe's does. */
  listed(url: URL, runs: Record<string, unknown>[]): Record<string, unknown>[] {
    const after = url.searchParams
      .getAll('property')
      .map(p => /^createdAt>(\d+)$/.exec(p)?.[1])
      .find(Boolean)
    return runs.filter(r => after === undefined || (r.createdAt as number) > Number(after))
  }

  async start(): Promise<this> {
    this.url = await this.server.start()
    return this
  }

  stop(): Promise<void> {
    return this.server.stop()
  }

  /** Inputs pointing the action at this server with a static token. */
  inputs(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'run-id': this.runId,
      'org-id': this.orgId,
      'access-token': this.token,
      'api-key': this.apiKey,
      'platform-url': this.url,
      'ims-url': this.url,
      'request-timeout': '1s',
      'settle-time': '300ms',
      'retry-timeout': '5s',
      ...extra
    }
  }
}

export function json(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(typeof body === 'string' ? body : JSON.stringify(body))
}

function routeOf(method: string, path: string): HostileRoute | undefined {
  const base = '/data/foundation/flowservice'
  if (method === 'POST' && path === '/ims/token/v3') return 'token'
  if (method === 'GET' && path === `${base}/runs`) return 'listRuns'
  if (method === 'GET' && path === `${base}/flows`) return 'listFlows'
  if (method === 'GET' && path.startsWith(`${base}/flows/`)) return 'getFlow'
  if (method === 'GET' && path.startsWith(`${base}/runs/`)) return 'getRun'
  if (method === 'POST' && path.endsWith('/action')) return 'retrigger'
  return undefined
}

/**
 * Every form a secret could leak in: as is, URL- and form-encoded (either hex case), JSON-escaped
 * (also with `\\/`), whitespace-collapsed, base64 and base64url at each of the three byte
 * alignments it can have inside a longer encoded text, and any piece of 12 characters or more of
 * each (what clipping or a folded line leaves).
 */
export function leakedForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1)
  const form = new URLSearchParams({ s: secret }).toString().slice(2)
  const lower = (text: string) => text.replace(/%[0-9A-F]{2}/g, m => m.toLowerCase())
  const bytes = Buffer.from(secret)
  const base64 = [0, 1, 2].flatMap(shift => {
    const whole = bytes.subarray(shift, shift + Math.floor((bytes.length - shift) / 3) * 3)
    return whole.length >= 6 ? [whole.toString('base64'), whole.toString('base64url')] : []
  })
  const wholes = new Set([
    secret,
    encodeURIComponent(secret),
    lower(encodeURIComponent(secret)),
    form,
    lower(form),
    json,
    json.replace(/\//g, '\\/'),
    secret.replace(/\s+/g, ' '),
    ...base64
  ])
  const forms = new Set(wholes)
  for (const whole of wholes)
    for (let i = 0; i + 12 <= whole.length; i += 4) forms.add(whole.slice(i, i + 12))
  return [...forms]
}
