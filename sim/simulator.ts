/**
 * A Flow Service + IMS simulator on loopback, for the tests, the demo and the benchmark. It
 * answers as Adobe's Flow Service OpenAPI spec and its "Retry failed dataflow runs" tutorial
 * describe, checks the headers the real API requires, plays run lifecycles (by reads, or in
 * simulated time), schedules hourly runs, and injects faults on demand. It is never part of the
 * action's bundle.
 *
 * Time: every timestamp it makes comes from `sim.clock` (real time plus an offset, 0 unless a test
 * moves it), and every answer carries a `Date` header from that clock. Token expiry and the rate
 * limit stay on real time.
 */
import { randomUUID } from 'node:crypto'
import * as http from 'node:http'
import { setTimeout as pause } from 'node:timers/promises'
import { LoopbackServer } from './loopback.js'

/** A route's name: a key of the simulator's route table (see `Simulator.routes`). */
export type Route = keyof Simulator['routes']

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

/** An error as a run reports it; `recordCount` shows on the copy activity (default: failed records). */
export interface RunError {
  code: string
  message: string
  recordCount?: number
}

/** The files a scheduled run processes: source files stamped within [start, end) (epoch ms). */
export interface CopyWindow {
  start: number
  end: number
}

export interface RunSpec {
  id?: string
  flowId?: string
  /** The run's status; with `completesAt` or `durationMs`, the status it ends in. Default `failed`. */
  status?: string
  createdAt?: number
  startedAt?: number
  completedAt?: number
  /** Records ingested (`inputRecordCount` and `outputRecordCount`). */
  records?: number
  /** Records that failed (`failedRecordCount`), e.g. a `success` with partial ingestion. */
  failedRecords?: number
  errors?: RunError[]
  sandbox?: string
  /** Who created the run: the scheduler by default, the caller's `x-api-key` for re-triggered runs. */
  createdClient?: string
  /**
   * Time-based lifecycle: the run reads `inProgress` (in GET, in listings, in its flow's
   * `lastRunDetails`) until the simulated clock reaches this moment, then `status` with its errors
   * and `completedAtUTC` = this moment.
   */
  completesAt?: number
  /** The same as `completesAt`, counted from `startedAt`. */
  durationMs?: number
  /** The copy activity's window (`activities[].durationSummary.extensions.windowStart/windowEnd`). */
  window?: CopyWindow
}

/** The client Adobe's scheduler creates runs with (Adobe's samples). */
export const SCHEDULER = 'acp_foundation_connectors'

/** `source`: a sources dataflow (the only kind that can be retried); the others are listed too. */
export type FlowKind = 'source' | 'destination' | 'internal'

export interface FlowSpec {
  id?: string
  name?: string
  state?: 'enabled' | 'disabled'
  /** The source's spec: batch sources can be retried, streaming ones cannot (1333-400). */
  streaming?: boolean
  /** Default `source`. Destination and internal flows (e.g. "Datalake to UIS Flow") refuse retries. */
  kind?: FlowKind
  /** The sandbox the flow lives in (default `prod`); its runs default to it. */
  sandbox?: string
}

/** How a re-triggered run behaves when polled. */
export interface Lifecycle {
  /** 404 for this many reads before the run becomes readable. */
  notFoundReads?: number
  /** In progress for this many reads, then final. Infinity: never finishes. */
  inProgressReads?: number
  /** In progress for this long in simulated time after it starts, then final (instead of reads). */
  durationMs?: number
  final?: string
  records?: number
  errors?: RunError[]
}

/** Scheduled runs of a flow, played as the simulated clock passes each slot. */
export interface ScheduleSpec {
  /** Time between slots; default one hour. */
  everyMs?: number
  /** How long each run stays `inProgress`; default 5 minutes. */
  durationMs?: number
  /** The first slot (epoch ms); default the next multiple of `everyMs` after now. */
  firstAt?: number
  /** No slot after this moment. */
  until?: number
  /** Each slot's final status, by slot index from 0; default `success`. */
  outcome?: (slot: number) => string
  /** Errors of a failed slot; default a `CONNECTOR-1001-500` copy failure. */
  errors?: RunError[] | ((slot: number) => RunError[] | undefined)
  /** Records a successful slot ingests; default 10. */
  records?: number
}

export interface Schedule {
  readonly flowId: string
  /** Runs created so far, oldest first. */
  readonly runIds: string[]
  /** No more slots. */
  stop(): void
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
  /**
   * Each next page starts this many items before the previous page ended, as a listing does when
   * items shift while it is paged: the last items of a page are listed again on the next.
   */
  pageOverlap?: number
  /** Report copy-activity windows (default true); `sim.windows` switches it later. */
  windows?: boolean
  /**
   * A run whose flow was never added makes a batch source flow of that id, listed by `GET /flows`
   * (default true, as every Adobe run belongs to a dataflow); false: such runs have no flow.
   */
  implicitFlows?: boolean
}

export interface RecordedRequest {
  method: string
  path: string
  route?: Route
  /** The run the path names (`:run`), on the routes that name one. */
  runId?: string
  headers: http.IncomingHttpHeaders
  body: string
  at: number
}

/** The simulated clock: real time plus an offset (0 by default). */
export class SimClock {
  offsetMs = 0

  constructor(private readonly moved: (deltaMs: number) => void = () => undefined) {}

  now(): number {
    return Date.now() + this.offsetMs
  }

  /** Moves the clock by `ms` (may be negative) and plays what became due. */
  advance(ms: number): number {
    this.offsetMs += ms
    this.moved(ms)
    return this.now()
  }

  /** Sets the clock to `epochMs` from now on (it keeps ticking in real time). */
  setNow(epochMs: number): number {
    return this.advance(epochMs - this.now())
  }

  /** Moves the clock forward to `epochMs`; never backwards. */
  advanceTo(epochMs: number): number {
    return this.advance(Math.max(0, epochMs - this.now()))
  }
}

const HOUR = 3_600_000
const DEFAULT_FAILURE: RunError[] = [
  { code: 'CONNECTOR-1001-500', message: 'Copy from source failed' }
]

/** What a run reports: its status, errors and record counts. */
interface Outcome {
  status: string
  errors?: RunError[]
  input: number
  output: number
  failed: number
}

interface StoredRun {
  /** The run as answered; updated in place when its state changes. */
  run: Record<string, unknown>
  lifecycle?: Lifecycle
  reads: number
  id: string
  flowId: string
  sandbox: string
  createdAt: number
  createdClient: string
  eTag: string
  activityId: string
  startedAt: number
  completedAt?: number
  updatedAt: number
  current: Outcome
  /** Time-based lifecycle: the outcome it reaches at `completesAt`. */
  completesAt?: number
  final?: Outcome
  window?: CopyWindow
}

interface StoredFlow {
  id: string
  name: string
  state: 'enabled' | 'disabled'
  streaming: boolean
  kind: FlowKind
  sandbox: string
  latest?: StoredRun
}

interface StoredSchedule {
  flowId: string
  spec: ScheduleSpec
  everyMs: number
  next: number
  slot: number
  runIds: string[]
  stopped: boolean
}

type Item = Record<string, unknown>

/** What a route's handler is given. */
interface Call {
  req: http.IncomingMessage
  url: URL
  body: string
  /** The run the path names (`:run`); set on the routes whose path has one. */
  runId?: string
  /** The flow the path names (`:flow`); set on the routes whose path has one. */
  flowId?: string
  /** The `x-sandbox-name` header. */
  sandbox: string
}

/** One entry of the route table. */
interface RouteSpec {
  method: 'GET' | 'POST'
  /** The exact path; `:run` stands for a run id, `:flow` for a flow id (UUIDs). */
  path: string
  /** Answered without the gateway's header checks (IMS). */
  open?: boolean
  /** Sent without `x-sandbox-name` (the Sandbox Management API): the other checks still apply. */
  orgWide?: boolean
  handle: (call: Call) => Answer
}

/** A route of the table, its path compiled. */
interface CompiledRoute {
  name: Route
  spec: RouteSpec
  pattern: RegExp
}

/** The route a request takes, and the run its path names. */
interface Match {
  route: CompiledRoute
  runId?: string
  flowId?: string
}

const BASE = '/data/foundation/flowservice'
/** The Sandbox Management API's "available sandboxes" listing. */
export const SANDBOX_LISTING = '/data/foundation/sandbox-management/'

/** A sandbox's lifecycle state, as the Sandbox Management API reports it. */
export type SandboxState = 'creating' | 'active' | 'failed' | 'deleted' | 'resetting'

export interface SandboxSpec {
  name: string
  state?: SandboxState
  type?: 'development' | 'production'
}

interface StoredSandbox {
  name: string
  state: SandboxState
  type: 'development' | 'production'
  /** Answers 403 to every request naming it (a sandbox the credential has no permission in). */
  refuses: boolean
}
const UUID = '[0-9a-fA-F-]{36}'
const CACHED_QUERIES = 256

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
  /** The simulated clock every timestamp and `Date` header comes from. */
  readonly clock: SimClock

  private readonly runs = new Map<string, StoredRun>()
  /** Runs by flow (lower-case id), so a sandbox of a thousand flows lists in time proportional to its size. */
  private readonly byFlow = new Map<string, StoredRun[]>()
  private readonly flows = new Map<string, StoredFlow>()
  /** The org's sandboxes, in the order added: `prod` always; a flow's or run's sandbox joins as active. */
  private readonly sandboxes = new Map<string, StoredSandbox>([
    ['prod', { name: 'prod', state: 'active', type: 'production', refuses: false }]
  ])
  private readonly tokens = new Map<string, number>()
  private readonly faults = new Map<Route, Fault[]>()
  private readonly server: LoopbackServer
  // Ends the pauses of answers still pending (a fault's delayMs, latencyMs) when the simulator
  // stops: a test's 5 s delay does not outlive its simulator and hold the process open.
  private readonly stopping = new AbortController()
  private rateWindow = { start: 0, count: 0 }
  /** Runs with a time-based lifecycle, and those of them not yet final. */
  private readonly timed: StoredRun[] = []
  private readonly pending = new Set<StoredRun>()
  private readonly schedules: StoredSchedule[] = []
  /** Filtered and sorted listings by query, dropped whenever a run or flow changes. */
  private readonly cache = new Map<string, Item[]>()
  private reportWindows: boolean

  /**
   * Every route the simulator answers, one entry each: method, path pattern, handler. A new route
   * is one more entry here; its name is then a `Route`, so faults, `count` and the request log
   * know it. Faults, the rate limit, latency, the gateway's header checks (unless `open`) and
   * runs of another sandbox (404 on any `:run` route) are applied to every route alike.
   */
  private readonly routes = {
    token: {
      method: 'POST',
      path: '/ims/token/v3',
      open: true,
      handle: ({ body }) => this.token(body)
    },
    listRuns: {
      method: 'GET',
      path: `${BASE}/runs`,
      handle: ({ sandbox, url }) => this.listing('runs', sandbox, url)
    },
    listFlows: {
      method: 'GET',
      path: `${BASE}/flows`,
      handle: ({ sandbox, url }) => this.listing('flows', sandbox, url)
    },
    getFlow: {
      method: 'GET',
      path: `${BASE}/flows/:flow`,
      handle: ({ sandbox, flowId }) => this.getFlow(flowId!, sandbox)
    },
    getRun: {
      method: 'GET',
      path: `${BASE}/runs/:run`,
      handle: ({ runId }) => this.getRun(runId!)
    },
    listSandboxes: {
      method: 'GET',
      path: SANDBOX_LISTING,
      orgWide: true,
      handle: ({ url }) => this.listSandboxes(url)
    },
    retrigger: {
      method: 'POST',
      path: `${BASE}/runs/:run/action`,
      handle: ({ runId, url, req }) => this.retrigger(runId!, url, String(req.headers['x-api-key']))
    }
  } satisfies Record<string, RouteSpec>

  private readonly compiled: CompiledRoute[] = compileRoutes(this.routes)

  constructor(private readonly options: SimulatorOptions = {}) {
    this.orgId = options.orgId ?? '5C1328435BF324E90A49402A@AdobeOrg'
    this.apiKey = options.apiKey ?? 'sim-client-id'
    this.clientSecret = options.clientSecret ?? 'p8e-sim-secret-9f3Kq2XyZ'
    this.reportWindows = options.windows ?? true
    for (const token of options.staticTokens ?? []) this.tokens.set(token, Infinity)
    this.clock = new SimClock(delta => this.tick(delta < 0))
    this.server = new LoopbackServer((req, res) => void this.handle(req, res))
  }

  async start(port = 0): Promise<string> {
    this.url = await this.server.start(port)
    return this.url
  }

  stop(): Promise<void> {
    this.stopping.abort()
    return this.server.stop()
  }

  /** The simulated now (epoch ms). */
  now(): number {
    return this.clock.now()
  }

  /** Moves the simulated clock by `ms`, creating scheduled runs and finishing timed ones on the way. */
  advance(ms: number): number {
    return this.clock.advance(ms)
  }

  /** Moves the simulated clock forward to `epochMs` (never backwards). */
  advanceTo(epochMs: number): number {
    return this.clock.advanceTo(epochMs)
  }

  /** Sets the simulated clock to `epochMs`, backwards too (timed runs then read in progress again). */
  setNow(epochMs: number): number {
    return this.clock.setNow(epochMs)
  }

  /** Whether runs report their copy-activity window; false: a sandbox where Adobe reports none. */
  get windows(): boolean {
    return this.reportWindows
  }

  set windows(on: boolean) {
    this.reportWindows = on
    for (const stored of this.runs.values()) this.render(stored)
    this.changed()
  }

  /** Queues faults for the next requests on a route, in order. */
  fault(route: Route, ...faults: Fault[]): this {
    this.faults.set(route, [...(this.faults.get(route) ?? []), ...faults])
    return this
  }

  addRun(spec: RunSpec = {}, lifecycle?: Lifecycle): string {
    this.knowSandbox(spec.sandbox)
    const id = spec.id ?? randomUUID()
    const now = this.clock.now()
    const flowId = spec.flowId ?? randomUUID()
    // Every run belongs to a dataflow, as in Adobe: a run of a flow never added makes a batch
    // source flow of that id (listed by GET /flows), unless `implicitFlows` is false.
    const flow =
      this.flows.get(flowId) ??
      (this.options.implicitFlows === false
        ? undefined
        : this.storeFlow({ id: flowId, sandbox: spec.sandbox }))
    const createdAt = spec.createdAt ?? now - 60_000
    const startedAt = spec.startedAt ?? spec.createdAt ?? now - 60_000
    const records = spec.records ?? 0
    const createdClient = spec.createdClient ?? SCHEDULER
    const stored: StoredRun = {
      run: {},
      lifecycle,
      reads: 0,
      id,
      flowId,
      sandbox: spec.sandbox ?? flow?.sandbox ?? 'prod',
      createdAt,
      createdClient,
      eTag: `"${randomUUID()}"`,
      activityId: randomUUID(),
      startedAt,
      updatedAt: now,
      current: {
        status: spec.status ?? 'failed',
        errors: spec.errors,
        input: records,
        output: records,
        failed: spec.failedRecords ?? 0
      },
      window: spec.window && { start: spec.window.start, end: spec.window.end }
    }
    const completesAt =
      lifecycle?.durationMs !== undefined
        ? startedAt + lifecycle.durationMs
        : (spec.completesAt ??
          (spec.durationMs !== undefined ? startedAt + spec.durationMs : undefined))
    if (completesAt !== undefined) {
      stored.completesAt = completesAt
      stored.final =
        lifecycle?.durationMs !== undefined ? lifecycleOutcome(lifecycle) : stored.current
      stored.current = inProgress()
      this.timed.push(stored)
      this.pending.add(stored)
      this.settle(stored, now)
    } else if (stored.current.status !== 'inProgress') {
      stored.completedAt = spec.completedAt ?? now - 30_000
    }
    this.render(stored)
    this.runs.set(id, stored)
    const key = flowId.toLowerCase()
    const list = this.byFlow.get(key)
    if (list) list.push(stored)
    else this.byFlow.set(key, [stored])
    if (flow && (!flow.latest || createdAt > flow.latest.createdAt)) flow.latest = stored
    this.changed()
    return id
  }

  /**
   * A sandbox of the org (listed by the Sandbox Management API). Adding one again changes its
   * state or type. A sandbox no flow, run or call here names does not exist: requests naming it
   * are answered 404, as Adobe answers an unknown sandbox.
   */
  addSandbox(spec: SandboxSpec): this {
    const known = this.sandboxes.get(spec.name)
    this.sandboxes.set(spec.name, {
      name: spec.name,
      state: spec.state ?? known?.state ?? 'active',
      type: spec.type ?? known?.type ?? 'development',
      refuses: known?.refuses ?? false
    })
    return this
  }

  /** Makes a sandbox answer 403 to every Flow Service request (no permission in it); false undoes it. */
  refuseSandbox(name: string, refuses = true): this {
    if (!this.sandboxes.has(name)) this.addSandbox({ name })
    this.sandboxes.get(name)!.refuses = refuses
    return this
  }

  /** A sandbox named by a flow or run joins the org as an active development sandbox. */
  private knowSandbox(name: string | undefined): void {
    if (name && !this.sandboxes.has(name)) this.addSandbox({ name })
  }

  /** A dataflow, listed by `GET /flows` with its `lastRunDetails` kept in step with its runs. */
  addFlow(spec: FlowSpec = {}): string {
    const flow = this.storeFlow(spec)
    // Runs added before their flow still count for its lastRunDetails.
    for (const stored of this.byFlow.get(flow.id.toLowerCase()) ?? [])
      if (!flow.latest || stored.createdAt > flow.latest.createdAt) flow.latest = stored
    this.changed()
    return flow.id
  }

  private storeFlow(spec: FlowSpec): StoredFlow {
    this.knowSandbox(spec.sandbox)
    const id = spec.id ?? randomUUID()
    const flow: StoredFlow = {
      id,
      name: spec.name ?? `flow-${id.slice(0, 8)}`,
      state: spec.state ?? 'enabled',
      streaming: spec.streaming ?? false,
      kind: spec.kind ?? 'source',
      sandbox: spec.sandbox ?? 'prod'
    }
    // A flow added again (or after its runs made it implicitly) is listed as if added now.
    this.flows.delete(id)
    this.flows.set(id, flow)
    return flow
  }

  /**
   * Runs of a flow on a schedule: each slot, when the clock passes it, becomes a run created by
   * Adobe's scheduler, with the window of the interval before the slot, `inProgress` for
   * `durationMs`, then its outcome. Slots already past are created at once. Disabled flows skip
   * their slots.
   */
  schedule(flowId: string, spec: ScheduleSpec = {}): Schedule {
    const everyMs = spec.everyMs ?? HOUR
    if (!(everyMs > 0)) throw new Error('schedule: everyMs must be positive')
    const next = spec.firstAt ?? Math.ceil(this.clock.now() / everyMs) * everyMs
    const stored: StoredSchedule = {
      flowId,
      spec,
      everyMs,
      next,
      slot: 0,
      runIds: [],
      stopped: false
    }
    this.schedules.push(stored)
    this.tick()
    return {
      flowId,
      runIds: stored.runIds,
      stop: () => {
        stored.stopped = true
      }
    }
  }

  run(id: string): Record<string, unknown> | undefined {
    this.tick()
    return this.runs.get(id)?.run
  }

  /** The window a run processes, reported or not (see `windows`). */
  windowOf(id: string): CopyWindow | undefined {
    const window = this.runs.get(id)?.window
    return window && { ...window }
  }

  /** Runs of a flow, newest first. */
  runsOf(flowId: string): Record<string, unknown>[] {
    this.tick()
    return (this.byFlow.get(flowId.toLowerCase()) ?? [])
      .filter(s => s.flowId === flowId)
      .sort((a, b) => b.createdAt - a.createdAt)
      .map(s => s.run)
  }

  count(route: Route): number {
    return this.requests.filter(r => r.route === route).length
  }

  /** The run ids every re-trigger request named, in order, whether Adobe accepted it or not. */
  retriggerTargets(): string[] {
    return this.requests.filter(r => r.route === 'retrigger').map(r => r.runId ?? '')
  }

  /** Plays schedules and time-based lifecycles up to the simulated now. */
  private tick(backwards = false): void {
    const now = this.clock.now()
    for (const s of this.schedules) this.play(s, now)
    for (const stored of backwards ? this.timed : [...this.pending]) this.settle(stored, now)
  }

  private play(s: StoredSchedule, now: number): void {
    while (!s.stopped && s.next <= now && (s.spec.until === undefined || s.next <= s.spec.until)) {
      const at = s.next
      const slot = s.slot++
      s.next += s.everyMs
      if (this.flows.get(s.flowId)?.state === 'disabled') continue
      const status = s.spec.outcome?.(slot) ?? 'success'
      const failed = status === 'failed'
      const errors =
        typeof s.spec.errors === 'function'
          ? s.spec.errors(slot)
          : failed
            ? s.spec.errors
            : undefined
      s.runIds.push(
        this.addRun({
          flowId: s.flowId,
          status,
          createdAt: at,
          startedAt: at,
          durationMs: s.spec.durationMs ?? 5 * 60_000,
          records: failed ? 0 : (s.spec.records ?? 10),
          errors: failed ? (errors ?? DEFAULT_FAILURE) : errors,
          window: { start: at - s.everyMs, end: at },
          createdClient: SCHEDULER
        })
      )
    }
  }

  /** A timed run's state at `now`: in progress before `completesAt`, final from then on. */
  private settle(stored: StoredRun, now: number): void {
    const done = now >= stored.completesAt!
    if (done === !this.pending.has(stored)) return
    if (done) {
      this.pending.delete(stored)
      stored.current = stored.final!
      stored.completedAt = stored.completesAt
    } else {
      this.pending.add(stored)
      stored.current = inProgress()
      stored.completedAt = undefined
    }
    stored.updatedAt = Math.max(stored.startedAt, Math.min(now, stored.completesAt!))
    this.render(stored)
    this.changed()
  }

  /** Something a listing could show changed: cached listings are stale. */
  private changed(): void {
    this.cache.clear()
  }

  /** The run as Adobe answers it, from its state. */
  private render(stored: StoredRun): void {
    const o = stored.current
    const finished = stored.completedAt !== undefined
    const durations = {
      startedAtUTC: stored.startedAt,
      ...(finished ? { completedAtUTC: stored.completedAt } : {})
    }
    const recordSummary = {
      inputRecordCount: o.input,
      outputRecordCount: o.output,
      failedRecordCount: o.failed
    }
    const errors = o.errors?.map(e => ({ code: e.code, message: e.message }))
    const window = this.reportWindows ? stored.window : undefined
    const activities =
      o.errors || stored.window
        ? [
            {
              id: stored.activityId,
              name: 'Copy Activity',
              updatedAtUTC: stored.updatedAt,
              durationSummary: {
                ...durations,
                ...(window
                  ? { extensions: { windowStart: window.start, windowEnd: window.end } }
                  : {})
              },
              recordSummary,
              statusSummary: {
                status: o.status,
                ...(errors
                  ? {
                      errors,
                      extensions: {
                        errors: o.errors!.map(e => ({
                          code: e.code,
                          message: e.message,
                          recordCount: e.recordCount ?? o.failed
                        }))
                      }
                    }
                  : {})
              }
            }
          ]
        : []
    Object.assign(stored.run, {
      id: stored.id,
      flowId: stored.flowId,
      createdAt: stored.createdAt,
      updatedAt: stored.updatedAt,
      createdClient: stored.createdClient,
      // With a service token, createdBy is the credential's client id, like createdClient.
      createdBy:
        stored.createdClient === this.apiKey
          ? stored.createdClient
          : `${stored.createdClient}@AdobeID`,
      sandboxName: stored.sandbox,
      imsOrgId: this.orgId,
      eTag: stored.eTag,
      metrics: {
        durationSummary: durations,
        recordSummary,
        statusSummary: { status: o.status, ...(errors ? { errors } : {}) }
      },
      activities
    })
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim')
    const matched = this.match(req.method ?? '', url.pathname)
    const route = matched?.route.name
    const fault = route ? this.faults.get(route)?.shift() : undefined
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      route,
      ...(matched?.runId !== undefined ? { runId: matched.runId } : {}),
      headers: req.headers,
      body: '',
      at: this.clock.now()
    }
    this.requests.push(recorded)
    if (fault?.reset === 'before') {
      req.socket.destroy()
      return
    }
    const body = (recorded.body = await readBody(req))
    fault?.meanwhile?.()
    if (this.options.latencyMs) await delay(this.options.latencyMs, this.stopping.signal)
    if (this.stopping.signal.aborted) return
    this.tick()
    const send = (status: number, text: string, headers: Record<string, string>): void =>
      sendAnswer(res, status, text, { date: this.httpDate(), ...headers })

    const limited = this.rateLimited()
    if (limited)
      return send(429, adobeError('429', 'Too many requests'), {
        'retry-after': String(limited)
      })

    // A fault with a status or body answers instead of the real action (nothing is done);
    // `act`, a reset after reading, or a bare delay let the real action happen first.
    const acts =
      !fault ||
      !!fault.act ||
      fault.reset === 'after' ||
      (fault.status === undefined && fault.body === undefined && !fault.bodyBytes)
    const answer: Answer = acts ? this.answer(matched, req, url, body) : { status: 500, body: '' }

    if (fault) {
      if (fault.delayMs) await delay(fault.delayMs, this.stopping.signal)
      if (this.stopping.signal.aborted) return
      if (fault.reset === 'after') {
        req.socket.destroy()
        return
      }
      if (fault.cutShort) {
        const body = Buffer.from(answer.body)
        res.writeHead(answer.status, {
          'content-type': 'application/json',
          'content-length': body.length,
          date: this.httpDate()
        })
        res.write(body.subarray(0, body.length >> 1))
        setTimeout(() => req.socket.destroy(), 20)
        return
      }
      if (fault.bodyBytes) {
        res.writeHead(fault.status ?? 500, {
          'content-type': 'application/json',
          date: this.httpDate(),
          ...fault.headers
        })
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
        return send(status, text, fault.headers ?? {})
      }
      if (fault.headers) answer.headers = { ...answer.headers, ...fault.headers }
    }
    send(answer.status, answer.body, answer.headers ?? {})
  }

  private httpDate(): string {
    return new Date(this.clock.now()).toUTCString()
  }

  private rateLimited(): number | undefined {
    const limit = this.options.rateLimit
    if (!limit) return undefined
    const now = Date.now()
    if (now - this.rateWindow.start >= limit.windowMs) this.rateWindow = { start: now, count: 0 }
    this.rateWindow.count++
    if (this.rateWindow.count <= limit.requests) return undefined
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
  private checkHeaders(req: http.IncomingMessage, orgWide = false): Answer | undefined {
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
    if (orgWide) return undefined
    if (!req.headers['x-sandbox-name']) {
      return {
        status: 400,
        body: adobeError('FLOW-2105-400', 'Bad request', 'Sandbox header x-sandbox-name is missing')
      }
    }
    return undefined
  }

  /** The route a request takes; undefined: no route takes it. */
  private match(method: string, path: string): Match | undefined {
    for (const route of this.compiled) {
      if (route.spec.method !== method) continue
      const m = route.pattern.exec(path)
      if (m) return { route, runId: m.groups?.run, flowId: m.groups?.flow }
    }
    return undefined
  }

  private answer(
    matched: Match | undefined,
    req: http.IncomingMessage,
    url: URL,
    body: string
  ): Answer {
    if (!matched)
      return {
        status: 404,
        body: adobeError(
          'FLOW-1101-404',
          'Resource not found',
          `No route for ${req.method} ${url.pathname}`
        )
      }
    const { route, runId, flowId } = matched
    const sandbox = String(req.headers['x-sandbox-name'])
    if (!route.spec.open) {
      const orgWide = route.spec.orgWide === true
      const refused = this.checkHeaders(req, orgWide)
      if (refused) return refused
      if (!orgWide) {
        const known = this.sandboxes.get(sandbox)
        // Adobe's answers for a sandbox that does not exist (or is gone), and for one the
        // credential's product profile does not reach.
        if (!known || known.state === 'deleted')
          return {
            status: 404,
            body: adobeError('FLOW-2100-404', 'Resource not found', `Sandbox ${sandbox} not found`)
          }
        if (known.refuses)
          return {
            status: 403,
            body: adobeError(
              'FLOW-2120-403',
              'Forbidden',
              `The credential has no permission in sandbox ${sandbox}`
            )
          }
      }
      // Runs live in one sandbox: asked for from another, they do not exist.
      const stored = runId ? this.runs.get(runId) : undefined
      if (stored && stored.sandbox !== sandbox) return notFound(runId!)
    }
    return route.spec.handle({ req, url, body, runId, flowId, sandbox })
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

  /** The end of a read-count lifecycle (time-based ones end by the clock). */
  private finish(stored: StoredRun): void {
    const life = stored.lifecycle!
    if (stored.completesAt !== undefined || stored.current.status !== 'inProgress') return
    stored.current = lifecycleOutcome(life)
    stored.completedAt = stored.startedAt + 95_000
    stored.updatedAt = this.clock.now()
    this.render(stored)
    this.changed()
  }

  /** `GET /flows/{id}`: the flow as its listing describes it, in a list of one (FlowListResponse). */
  private getFlow(id: string, sandbox: string): Answer {
    const flow = this.flows.get(id)
    if (!flow || flow.sandbox !== sandbox)
      return {
        status: 404,
        body: adobeError('FLOW-1101-404', 'Resource not found', `Flow ${id} not found`)
      }
    return { status: 200, body: JSON.stringify({ items: [this.flowItem(flow)] }) }
  }

  /** Flows as `GET /flows` describes them (FlowItemDTO), with each one's latest run. */
  private flowItems(sandbox: string): Item[] {
    const items: Item[] = []
    for (const flow of this.flows.values())
      if (flow.sandbox === sandbox) items.push(this.flowItem(flow))
    return items
  }

  /** One flow as `GET /flows` describes it (FlowItemDTO), with its latest run. */
  private flowItem(flow: StoredFlow): Item {
    const latest = flow.latest
    return {
      id: flow.id,
      name: flow.name,
      state: flow.state,
      flowSpec: { id: specIdOf(flow), version: '1.0' },
      inheritedAttributes: {
        properties: {
          isSourceFlow: flow.kind === 'source',
          isDestinationFlow: flow.kind === 'destination'
        }
      },
      ...(latest
        ? {
            lastRunDetails: {
              id: latest.id,
              state: latest.current.status,
              startedAtUTC: latest.startedAt,
              completedAtUTC: latest.completedAt
            }
          }
        : {})
    }
  }

  /**
   * Everything a query matches, filtered and sorted once per query until something changes. A
   * `flowId==` filter reads that flow's runs alone (newest first, as a flow's listing always was);
   * the sandbox-wide listing reads every run of the sandbox asked for, oldest first.
   */
  private matching(
    kind: 'runs' | 'flows',
    sandbox: string,
    filters: Predicate[],
    query: string,
    order: string | null
  ): Item[] {
    const key = `${kind}\n${sandbox}\n${query}\n${order ?? ''}`
    const hit = this.cache.get(key)
    if (hit) return hit
    let base: Item[]
    if (kind === 'flows') base = this.flowItems(sandbox)
    else {
      const flowId = filters.find(f => f.path === 'flowId' && f.op === '==')?.raw
      const runs = flowId
        ? [...(this.byFlow.get(flowId.toLowerCase()) ?? [])].sort(
            (a, b) => b.createdAt - a.createdAt
          )
        : [...this.runs.values()]
      base = []
      for (const s of runs) if (s.sandbox === sandbox) base.push(s.run)
    }
    const items = filters.length ? base.filter(item => filters.every(f => f.test(item))) : base
    if (order) sortBy(items, order)
    if (this.cache.size >= CACHED_QUERIES) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(key, items)
    return items
  }

  /** One page of a listing: `property` filters (ANDed), `orderby`, `limit` and continuation. */
  private listing(kind: 'runs' | 'flows', sandbox: string, url: URL): Answer {
    const raw = url.searchParams.getAll('property').flatMap(p => p.split(','))
    const filters: Predicate[] = []
    for (const text of raw) {
      const filter = predicate(text)
      if (!filter)
        return {
          status: 400,
          body: adobeError('FLOW-1100-400', 'Bad request', `Invalid property filter ${text}`)
        }
      filters.push(filter)
    }
    const token = url.searchParams.get('continuationToken') ?? '0'
    const offset = Number(token)
    if (!Number.isInteger(offset) || offset < 0)
      return {
        status: 400,
        body: adobeError('FLOW-1100-400', 'Bad request', `Invalid continuationToken ${token}`)
      }
    const order = url.searchParams.get('orderby')
    const items = this.matching(kind, sandbox, filters, raw.join('\n'), order)
    const pageSize = this.options.pageSize ?? 100
    const asked = Number(url.searchParams.get('limit') ?? pageSize)
    const size = Math.min(asked > 0 ? Math.floor(asked) : pageSize, pageSize)
    const page = items.slice(offset, offset + size)
    const more = offset + size < items.length
    const next = new URLSearchParams(url.searchParams)
    const overlap = Math.max(0, Math.min(size - 1, this.options.pageOverlap ?? 0))
    next.set('continuationToken', String(offset + size - overlap))
    return {
      status: 200,
      body: JSON.stringify({
        items: page,
        _links: more ? { next: { href: `/${kind}?${next.toString()}` } } : {}
      })
    }
  }

  /**
   * `GET /sandbox-management/`: the sandboxes available to the caller, every state, paged by
   * `limit` and `offset` (which must come together; default 50 and 0), `_links.next.href` while
   * more remain.
   */
  private listSandboxes(url: URL): Answer {
    const limitText = url.searchParams.get('limit')
    const offsetText = url.searchParams.get('offset')
    if ((limitText === null) !== (offsetText === null))
      return {
        status: 400,
        body: adobeError(
          'SANDBOX-1400-400',
          'Bad request',
          'limit and offset must be given together'
        )
      }
    const limit = limitText === null ? 50 : Number(limitText)
    const offset = offsetText === null ? 0 : Number(offsetText)
    if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(offset) || offset < 0)
      return {
        status: 400,
        body: adobeError('SANDBOX-1400-400', 'Bad request', 'Invalid limit or offset')
      }
    const all = [...this.sandboxes.values()]
    const page = all.slice(offset, offset + limit)
    const more = offset + limit < all.length
    const created = new Date(this.clock.now() - 86_400_000).toISOString()
    return {
      status: 200,
      body: JSON.stringify({
        sandboxes: page.map(s => ({
          name: s.name,
          title: s.name,
          state: s.state,
          type: s.type,
          region: 'VA7',
          isDefault: s.name === 'prod',
          eTag: 1,
          createdDate: created,
          lastModifiedDate: created,
          createdBy: 'sim',
          modifiedBy: 'sim'
        })),
        _page: { limit, count: page.length },
        _links: more
          ? {
              next: {
                href: `${this.url}${SANDBOX_LISTING}?limit=${limit}&offset=${offset + limit}`
              }
            }
          : {}
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
    const flow = this.flows.get(stored.flowId)
    if (flow && (flow.streaming || flow.kind !== 'source'))
      return {
        status: 400,
        body: adobeError(
          'FLOW-1333-400',
          'Bad request',
          `The flowRunAction=re-trigger is not supported for source with spec id=${specIdOf(flow)}`
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
    const status = stored.current.status.toLowerCase()
    const ingested = stored.current.output
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
    const now = this.clock.now()
    // A retry processes the files of the original run's window.
    const newId = this.addRun(
      {
        flowId: stored.flowId,
        status: 'inProgress',
        createdAt: now,
        startedAt: now,
        createdClient: caller,
        sandbox: stored.sandbox,
        window: stored.window
      },
      this.nextLifecycle
    )
    const etag = this.runs.get(newId)!.eTag
    return { status: 200, body: JSON.stringify({ id: newId, etag }), created: newId }
  }
}

interface Answer {
  status: number
  body: string
  headers?: Record<string, string>
  created?: string
}

function inProgress(): Outcome {
  return { status: 'inProgress', input: 0, output: 0, failed: 0 }
}

function lifecycleOutcome(life: Lifecycle): Outcome {
  const records = life.records ?? 0
  const failed = life.final === 'failed'
  return {
    status: life.final ?? 'success',
    errors: life.errors,
    input: records,
    output: failed ? 0 : records,
    failed: failed ? records : 0
  }
}

function specIdOf(flow: StoredFlow): string {
  if (flow.kind === 'destination') return 'destination-spec'
  if (flow.kind === 'internal') return 'internal-spec'
  return flow.streaming ? 'streaming-spec' : 'batch-spec'
}

/** The table's paths as anchored patterns: `:run` and `:flow` match an id (a UUID), the rest exactly. */
function compileRoutes(routes: Record<Route, RouteSpec>): CompiledRoute[] {
  return (Object.entries(routes) as [Route, RouteSpec][]).map(([name, spec]) => {
    const pattern = spec.path
      .split(/(:run|:flow)/)
      .map(part =>
        part === ':run' || part === ':flow'
          ? `(?<${part.slice(1)}>${UUID})`
          : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      )
      .join('')
    return { name, spec, pattern: new RegExp(`^${pattern}$`) }
  })
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

/** One `property=` filter, compiled. */
interface Predicate {
  path: string
  op: string
  raw: string
  test: (item: Item) => boolean
}

/**
 * `path op value` on any dotted path (through arrays: any element matches). Numbers compare
 * numerically, strings and booleans case-insensitively; a missing value matches only `!=`.
 */
function predicate(text: string): Predicate | undefined {
  const m = /^([\w.]+)(==|!=|>=|<=|>|<)(.*)$/.exec(text)
  if (!m) return undefined
  const [, path, op, raw] = m
  const keys = path.split('.')
  const expected = raw.toLowerCase()
  const n = raw.trim() === '' ? NaN : Number(raw)
  const holds = (c: number): boolean =>
    op === '=='
      ? c === 0
      : op === '!='
        ? c !== 0
        : op === '>'
          ? c > 0
          : op === '<'
            ? c < 0
            : op === '>='
              ? c >= 0
              : c <= 0
  const one = (v: unknown): boolean => {
    if (typeof v === 'number') return Number.isNaN(n) ? op === '!=' : holds(v - n)
    if (typeof v === 'boolean') {
      if (op !== '==' && op !== '!=') return false
      return holds(String(v) === expected ? 0 : 1)
    }
    if (typeof v === 'string') {
      const a = v.toLowerCase()
      return holds(a < expected ? -1 : a > expected ? 1 : 0)
    }
    return op === '!='
  }
  return {
    path,
    op,
    raw,
    test: item => {
      const values = pickAll(item, keys)
      return values.length ? values.some(one) : op === '!='
    }
  }
}

function pickAll(obj: unknown, keys: string[]): unknown[] {
  let values: unknown[] = [obj]
  for (const key of keys) {
    const next: unknown[] = []
    for (const v of values) {
      const child = v && typeof v === 'object' && !Array.isArray(v) ? (v as Item)[key] : undefined
      if (Array.isArray(child)) next.push(...(child as unknown[]))
      else if (child !== undefined && child !== null) next.push(child)
      else if (Array.isArray(v))
        for (const e of v as unknown[])
          if (e && typeof e === 'object') {
            const c = (e as Item)[key]
            if (c !== undefined && c !== null) next.push(c)
          }
    }
    values = next
    if (!values.length) break
  }
  return values
}

/** `orderby=-createdAt` (newest first), `+name`, or several comma-separated; missing values last. */
function sortBy(items: Item[], order: string): void {
  const keys = order
    .split(',')
    .map(o => o.trim())
    .filter(Boolean)
    .map(o => ({ path: o.replace(/^[-+]/, '').split('.'), sign: o.startsWith('-') ? -1 : 1 }))
  // Each item's sort values read once, not once per comparison.
  const decorated = items.map(item => ({
    item,
    values: keys.map(({ path }) => {
      const v = pickAll(item, path)[0]
      return typeof v === 'number' || v === undefined
        ? v
        : typeof v === 'string'
          ? v.toLowerCase()
          : JSON.stringify(v)
    })
  }))
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const x = a.values[i]
      const y = b.values[i]
      if (x === y) continue
      if (x === undefined) return 1
      if (y === undefined) return -1
      const c =
        typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1
      if (c) return keys[i].sign * c
    }
    return 0
  })
  decorated.forEach((d, i) => (items[i] = d.item))
}

function sendAnswer(
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

/** A pause that ends early, without error, when `signal` aborts. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return pause(ms, undefined, { signal }).catch(() => undefined)
}
