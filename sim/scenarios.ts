/**
 * Scenario builders on the simulator, so tests, the CLI and the demo say what a sandbox holds
 * instead of repeating its set-up: flows of each kind, scheduled runs with their copy windows,
 * retries made with the action's own credential, hourly histories.
 *
 * Runs are finished by the simulated now unless a `durationMs` says otherwise: a run started at
 * `at` takes 2 minutes, or less when `at` is closer to now than that.
 *
 * `failure` is the end-to-end tests' usual start: a failed run with no copy-activity window (so the
 * action tells its retries by the ledger or by timing), and how its retries will go.
 */
import { randomUUID } from 'node:crypto'
import {
  SCHEDULER,
  type CopyWindow,
  type FlowSpec,
  type Lifecycle,
  type RunError,
  type RunSpec,
  type Simulator
} from './simulator.js'

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE

/** The error a failed scheduled run reports by default: the copy from the source failed. */
export const COPY_FAILED: RunError = {
  code: 'CONNECTOR-1001-500',
  message: 'Copy from source failed'
}

/** A failure a retry may fix: the source's file could not be read (e.g. not there yet). */
export const SOURCE_UNREADABLE: RunError = {
  code: 'CONNECTOR-2001-500',
  message: 'Source file could not be read'
}

type FlowOptions = Omit<FlowSpec, 'kind' | 'name'>

/** A batch sources dataflow (`isSourceFlow: true`), the only kind that can be retried. */
export function sourceFlow(sim: Simulator, name?: string, options: FlowOptions = {}): string {
  return sim.addFlow({ ...options, name, kind: 'source' })
}

/** A destination dataflow (`isSourceFlow: false`): its runs are listed, a retry is refused. */
export function destinationFlow(
  sim: Simulator,
  name = 'Amazon S3 export',
  options: FlowOptions = {}
): string {
  return sim.addFlow({ ...options, name, kind: 'destination' })
}

/** One of Adobe's internal dataflows (`isSourceFlow: false`), e.g. "Datalake to UIS Flow". */
export function internalFlow(
  sim: Simulator,
  name = 'Datalake to UIS Flow',
  options: FlowOptions = {}
): string {
  return sim.addFlow({ ...options, name, kind: 'internal' })
}

/** The hour before a scheduled run's start: the files it processes. */
export function hourBefore(at: number): CopyWindow {
  return { start: at - HOUR, end: at }
}

/** The start of the hour `t` falls in. */
export function startOfHour(t: number): number {
  return Math.floor(t / HOUR) * HOUR
}

export interface ScheduledRunOptions {
  /** Default: a new source flow. */
  flowId?: string
  /** When the run started (its schedule slot); default 10 minutes ago. */
  at?: number
  /** Default: the hour before `at`. */
  window?: CopyWindow
  /** A failed run's default: `COPY_FAILED`. */
  errors?: RunError[]
  /** Records ingested; a successful run's default is 10. */
  records?: number
  failedRecords?: number
  /** How long it runs; default 2 minutes, or up to now when `at` is closer. */
  durationMs?: number
  sandbox?: string
  /** Default: Adobe's scheduler (`acp_foundation_connectors`); `exc_app` for the Platform UI. */
  createdClient?: string
}

/** A run Adobe's scheduler made, ending in `status`; returns its id. */
export function scheduledRun(
  sim: Simulator,
  status: string,
  options: ScheduledRunOptions = {}
): string {
  const now = sim.now()
  const at = options.at ?? now - 10 * MINUTE
  const failed = status === 'failed'
  return sim.addRun({
    flowId: options.flowId ?? sourceFlow(sim),
    status,
    createdAt: at,
    startedAt: at,
    durationMs: options.durationMs ?? defaultDuration(at, now),
    records: options.records ?? (failed ? 0 : 10),
    failedRecords: options.failedRecords,
    errors: options.errors ?? (failed ? [COPY_FAILED] : undefined),
    window: options.window ?? hourBefore(at),
    sandbox: options.sandbox,
    createdClient: options.createdClient ?? SCHEDULER
  })
}

/** A scheduled run that failed (window: the hour before `at`). */
export function failedRun(sim: Simulator, options: ScheduledRunOptions = {}): string {
  return scheduledRun(sim, 'failed', options)
}

/** A scheduled run that succeeded (window: the hour before `at`). */
export function succeededRun(sim: Simulator, options: ScheduledRunOptions = {}): string {
  return scheduledRun(sim, 'success', options)
}

export interface RetryOptions {
  /** Default `success`. */
  status?: string
  /** When the retry started; default a minute after the original ended, at most now. */
  at?: number
  /** Default: the simulator's API key, i.e. the action's own credential. */
  createdClient?: string
  /** A failed retry's default: the original's errors (a data error fails again). */
  errors?: RunError[]
  records?: number
  durationMs?: number
}

/**
 * A retry of `ofRunId`, as a re-trigger creates it: same flow and sandbox, the window of the run it
 * retries (reported while `sim.windows` is on), created by `createdClient`. Returns its id.
 */
export function addRetry(sim: Simulator, ofRunId: string, options: RetryOptions = {}): string {
  const original = sim.run(ofRunId)
  if (!original) throw new Error(`addRetry: no run ${ofRunId}`)
  const metrics = original.metrics as {
    durationSummary: { startedAtUTC?: number; completedAtUTC?: number }
    statusSummary: { errors?: RunError[] }
  }
  const now = sim.now()
  const ended =
    metrics.durationSummary.completedAtUTC ?? metrics.durationSummary.startedAtUTC ?? now
  const at = options.at ?? Math.min(ended + MINUTE, now)
  const status = options.status ?? 'success'
  const failed = status === 'failed'
  return sim.addRun({
    flowId: original.flowId as string,
    sandbox: original.sandboxName as string,
    status,
    createdAt: at,
    startedAt: at,
    durationMs: options.durationMs ?? defaultDuration(at, now),
    records: options.records ?? (failed ? 0 : 10),
    errors:
      options.errors ?? (failed ? (metrics.statusSummary.errors ?? [COPY_FAILED]) : undefined),
    window: sim.windowOf(ofRunId),
    createdClient: options.createdClient ?? sim.apiKey
  })
}

export interface FailureOptions extends Omit<RunSpec, 'status'> {
  /** A new source flow of this name (in `sandbox`) for the run, instead of an unnamed one. */
  flowName?: string
  /** How re-triggered runs go from now on (sets `sim.nextLifecycle`, for every later re-trigger). */
  retries?: Lifecycle
}

/** A failed run and its flow. */
export interface Failure {
  runId: string
  flowId: string
}

/**
 * A failed run, as `sim.addRun` makes it (created a minute ago, finished half a minute ago, no
 * copy-activity window), of a flow of its own unless `flowId` or `flowName` says; with `retries`,
 * how its re-triggered runs go. Returns its id and its flow's.
 */
export function failure(
  sim: Simulator,
  { flowName, retries, ...spec }: FailureOptions = {}
): Failure {
  const flowId =
    spec.flowId ??
    (flowName === undefined ? randomUUID() : sourceFlow(sim, flowName, { sandbox: spec.sandbox }))
  const runId = sim.addRun({ ...spec, flowId, status: 'failed' })
  if (retries) sim.nextLifecycle = retries
  return { runId, flowId }
}

/** A run of `flowId` that Adobe's scheduler started at `at` (default now), still in progress. */
export function inProgressRun(sim: Simulator, flowId: string, at = sim.now()): string {
  return sim.addRun({ flowId, status: 'inProgress', createdAt: at })
}

/** The runs of a flow made with the action's own credential (its retries), newest first. */
export function retriesOf(sim: Simulator, flowId: string): Record<string, unknown>[] {
  return sim.runsOf(flowId).filter(run => run.createdClient === sim.apiKey)
}

export interface HourlyHistoryOptions {
  /** How many hourly runs. */
  hours: number
  /** Which of them (0 = the oldest) failed. */
  failed?: number[]
  /** The newest run's slot; default the start of the hour 5 minutes ago. */
  lastAt?: number
  errors?: RunError[]
}

/** A flow's past hourly runs, oldest first, each with the window of the hour before it. */
export function hourlyHistory(
  sim: Simulator,
  flowId: string,
  options: HourlyHistoryOptions
): string[] {
  const lastAt = options.lastAt ?? startOfHour(sim.now() - 5 * MINUTE)
  return Array.from({ length: options.hours }, (_, i) =>
    scheduledRun(sim, options.failed?.includes(i) ? 'failed' : 'success', {
      flowId,
      at: lastAt - (options.hours - 1 - i) * HOUR,
      errors: options.errors
    })
  )
}

/** What `sweepableSandbox` seeded. */
export interface SweepableSandbox {
  /** Failed at one slot, succeeded at the next: the flow reads healthy, the window is missed. */
  missedWindow: { flowId: string; failedRunId: string; nextRunId: string }
  /** Failed, and the action's retry of it failed too (same window, same data error). */
  failedRetry: { flowId: string; failedRunId: string; retryId: string }
  /** A destination flow with a failed run: listed sandbox-wide, never to be re-triggered. */
  destination: { flowId: string; failedRunId: string }
  /** Every run succeeded. */
  healthy: { flowId: string; runIds: string[] }
}

/**
 * A small sandbox to sweep by hand (`npm run sim`) or in tests: a missed window hidden behind a
 * later success, a retry that failed, a failed destination run, and a healthy flow.
 */
export function sweepableSandbox(sim: Simulator): SweepableSandbox {
  const lastAt = startOfHour(sim.now() - 5 * MINUTE)
  const crm = sourceFlow(sim, 'crm-accounts')
  const [, failedRunId, nextRunId] = hourlyHistory(sim, crm, {
    hours: 3,
    failed: [1],
    lastAt,
    errors: [SOURCE_UNREADABLE]
  })
  const contacts = sourceFlow(sim, 'crm-contacts')
  const mapping: RunError = {
    code: 'MAPPER-3700-400',
    message: 'Mapper transform error: email is not a string',
    recordCount: 12
  }
  const contactsFailed = failedRun(sim, {
    flowId: contacts,
    at: lastAt - HOUR,
    errors: [mapping],
    failedRecords: 12
  })
  const retryId = addRetry(sim, contactsFailed, { status: 'failed' })
  const s3 = destinationFlow(sim, 'Amazon S3 export')
  const s3Failed = failedRun(sim, {
    flowId: s3,
    at: lastAt,
    errors: [{ code: 'DESTINATION-3001-500', message: 'Export to the bucket failed' }]
  })
  const web = sourceFlow(sim, 'web-events')
  const healthy = hourlyHistory(sim, web, { hours: 3, lastAt })
  return {
    missedWindow: { flowId: crm, failedRunId, nextRunId },
    failedRetry: { flowId: contacts, failedRunId: contactsFailed, retryId },
    destination: { flowId: s3, failedRunId: s3Failed },
    healthy: { flowId: web, runIds: healthy }
  }
}

function defaultDuration(at: number, now: number): number {
  return Math.max(0, Math.min(2 * MINUTE, now - at))
}

/**
 * A sandbox of `flows` source dataflows, hourly, whose runs of the last day succeeded but for 100
 * failed windows over 40 flows (3 each for 20 flows, 2 each for 20): every one must be found,
 * though most of those flows' latest runs succeeded.
 */
export function seedSandbox(sim: Simulator, flows: number): void {
  const now = Date.now()
  const failingFlows = Math.min(40, flows)
  for (let i = 0; i < flows; i++) {
    const flowId = sim.addFlow({ name: `flow-${i}` })
    const failures = i < failingFlows ? (i < failingFlows / 2 ? 3 : 2) : 0
    for (let h = 1; h <= Math.max(failures, 1) + 1; h++)
      sim.addRun({
        flowId,
        status: h > 1 && h - 1 <= failures ? 'failed' : 'success',
        records: 5,
        createdAt: now - h * 3_600_000,
        window: { start: now - (h + 1) * 3_600_000, end: now - h * 3_600_000 }
      })
  }
}

/**
 * An organisation for the benchmark (issue 30): `sandboxes` active sandboxes (`prod`, `dev-1`, …)
 * of `flows` source flows each, with `windows` failed windows in each sandbox (one per flow, the
 * rest healthy). Returns the sandboxes' names.
 */
export function seedOrg(
  sim: Simulator,
  sandboxes: number,
  flows: number,
  windows: number
): string[] {
  const names = Array.from({ length: sandboxes }, (_, i) => (i === 0 ? 'prod' : `dev-${i}`))
  const now = Date.now()
  for (const sandbox of names) {
    sim.addSandbox({ name: sandbox })
    for (let i = 0; i < flows; i++) {
      const flowId = sim.addFlow({ name: `flow-${i}`, sandbox })
      sim.addRun({
        flowId,
        sandbox,
        status: i < windows ? 'failed' : 'success',
        records: 5,
        createdAt: now - 3_600_000,
        window: { start: now - 2 * 3_600_000, end: now - 3_600_000 }
      })
    }
  }
  return names
}

/** A listing's page at the action's bounds: 100 items (its page size), just under 1 MiB. */
export const FULL_PAGE_ITEMS = 100
const FULL_PAGE_BYTES = 1024 * 1024 - 4 * 1024

/**
 * A sandbox whose three sweep listings (its source flows, its failed runs, the runs of ours) are
 * each `pages` pages of ~1 MiB, every item valid: per flow a long name, a failure and a retry of
 * ours that succeeded, both with a long error (Adobe repeats a run's errors on its copy activity,
 * so each shows three times). Every window is settled: the sweep sends nothing, and what it
 * costs is what it keeps of what it read (issue 27.10). Each item's text is its own in the
 * action's process, though one string here.
 */
export function seedFullListings(sim: Simulator, pages: number): void {
  const perItem = Math.floor(FULL_PAGE_BYTES / FULL_PAGE_ITEMS)
  const now = sim.now()
  // A run's JSON without its error is ~1.3 KB; its message appears three times.
  const message = 'm'.repeat(Math.floor((perItem - 1600) / 3))
  const name = 'n'.repeat(perItem - 700)
  for (let i = 0; i < pages * FULL_PAGE_ITEMS; i++) {
    const flowId = sim.addFlow({ name: `${i}-${name}` })
    const at = now - 2 * HOUR + i
    const errors = [{ code: 'CONNECTOR-1001-500', message }]
    const failure = failedRun(sim, { flowId, at, errors, durationMs: MINUTE })
    addRetry(sim, failure, { errors, records: 5, at: at + 2 * MINUTE })
  }
}
