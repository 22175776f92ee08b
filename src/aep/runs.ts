import { asEtag, asUuid } from '../inputs/ids.js'

/** The parts of a Flow Service run this action reads, from either the spec's or the tutorial's shape. */
export interface RunInfo {
  /** Lower-cased UUID: a run whose id is not one is never read into a RunInfo. */
  id: string
  flowId?: string
  createdAt?: number
  /** Who created the run: the client ID of the credential (the `x-api-key` sent), `exc_app` for the UI. */
  createdClient?: string
  etag?: string
  status: RunStatus
  /** The status as Adobe wrote it. */
  rawStatus: string
  startedAt?: number
  completedAt?: number
  recordsIngested?: number
  recordsFailed?: number
  /**
   * The window of source files the run processes, from its copy activity
   * (`activities[].durationSummary.extensions.windowStart`/`windowEnd`), when Adobe reports it.
   * A retry processes the same window, so equal windows tie a retry to the run it retried.
   */
  window?: RunWindow
  /** Why it failed beyond the codes, when Adobe says (the connector's text, diagnostics links). */
  diagnostics?: Diagnostics
  errors: string[]
  /** Adobe's error codes with one message each, for grouping failures by cause. */
  causes: Cause[]
}

export interface Diagnostics {
  errorDetail?: string
  /** `extensions.manifest.failedRecords`: the failed records' export. */
  failedRecords?: string
  /** `extensions.manifest.sampleErrors`: sample row errors. */
  sampleErrors?: string
}

export interface RunWindow {
  start: number
  end: number
}

export interface Cause {
  code: string
  message: string
}

/**
 * How Adobe's statuses map onto what the action does. Final: success, failed, cancelled,
 * partial-success. Anything else (inProgress, queued, a status Adobe adds later) is not finished.
 */
export type RunStatus =
  'success' | 'failed' | 'cancelled' | 'partial-success' | 'in-progress' | 'unknown'

const STATUS_MAP: Record<string, RunStatus> = {
  success: 'success',
  succeeded: 'success',
  completed: 'success',
  failed: 'failed',
  failure: 'failed',
  error: 'failed',
  partialfailure: 'failed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  aborted: 'cancelled',
  partialsuccess: 'partial-success',
  partiallysucceeded: 'partial-success',
  inprogress: 'in-progress',
  running: 'in-progress',
  pending: 'in-progress',
  queued: 'in-progress',
  scheduled: 'in-progress',
  started: 'in-progress',
  new: 'in-progress'
}

export function normaliseStatus(raw: string): RunStatus {
  return STATUS_MAP[raw.toLowerCase().replace(/[\s_-]/g, '')] ?? 'unknown'
}

export function isFinal(status: RunStatus): boolean {
  return status !== 'in-progress' && status !== 'unknown'
}

type Json = Record<string, unknown>
const obj = (v: unknown): Json =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {}
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined)

/** `GET /runs/{id}` answers `{"items": [run]}` per the spec; a bare run object is accepted too. */
export function runFromAnswer(answer: unknown): RunInfo | undefined {
  const root = obj(answer)
  const items = Array.isArray(root.items) ? root.items : undefined
  return parseRun(items ? items[0] : root)
}

/** A run as Adobe describes it, or undefined when its id is not a UUID (then it is not a run we act on). */
export function parseRun(value: unknown): RunInfo | undefined {
  const run = obj(value)
  const id = asUuid(run.id)
  if (!id) return undefined
  const metrics = obj(run.metrics)
  const statusSummary = obj(metrics.statusSummary)
  const durations = obj(metrics.durationSummary)
  const records = obj(metrics.recordSummary)
  const rawStatus = str(statusSummary.status) ?? 'unknown'
  const activities: unknown[] = [run.activities, run.activites].find(Array.isArray) ?? []
  const runErrors = errorTexts(statusSummary.errors)
  // Activities often repeat the run's own errors: show only what they add.
  const activityErrors = activities.flatMap(a => {
    const activity = obj(a)
    const name = str(activity.name)
    const summary = obj(activity.statusSummary)
    // The activity's own errors, with how many records each hit (help/dataflows/api/monitor.md);
    // often the run's own again, which are shown once.
    const extensionErrors = (
      Array.isArray(obj(summary.extensions).errors)
        ? (obj(summary.extensions).errors as unknown[])
        : []
    ).filter(e => !runErrors.includes(errorTexts([{ ...obj(e), recordCount: undefined }])[0]))
    return [...errorTexts(summary.errors), ...errorTexts(extensionErrors)]
      .filter(e => !runErrors.includes(e))
      .map(e => (name ? `${name}: ${e}` : e))
  })
  const errors = [...runErrors, ...activityErrors]
  const causes = new Map<string, Cause>()
  for (const list of [
    statusSummary.errors,
    ...activities.map(a => obj(obj(a).statusSummary).errors),
    ...activities.map(a => obj(obj(obj(a).statusSummary).extensions).errors)
  ])
    for (const e of Array.isArray(list) ? list : []) {
      const code = str(obj(e).code) ?? '(no code)'
      if (!causes.has(code)) causes.set(code, { code, message: str(obj(e).message) ?? '' })
    }
  return {
    id,
    flowId: asUuid(run.flowId),
    createdAt: num(run.createdAt),
    createdClient: str(run.createdClient) ?? str(run.createdBy),
    etag: asEtag(run.eTag) ?? asEtag(run.etag),
    status: normaliseStatus(rawStatus),
    rawStatus,
    startedAt: num(durations.startedAtUTC),
    completedAt: num(durations.completedAtUTC),
    recordsIngested: num(records.outputRecordCount),
    recordsFailed: num(records.failedRecordCount),
    window: copyWindow(activities),
    diagnostics: diagnosticsOf(activities),
    errors: [...new Set(errors)],
    causes: [...causes.values()]
  }
}

/** The first activity's window that Adobe reports whole (start before end, both epoch ms). */
function copyWindow(activities: unknown[]): RunWindow | undefined {
  for (const a of activities) {
    const ext = obj(obj(obj(a).durationSummary).extensions)
    const start = num(ext.windowStart)
    const end = num(ext.windowEnd)
    if (start !== undefined && end !== undefined && start < end) return { start, end }
  }
  return undefined
}

/** A window for people: "2026-01-02T01:00Z–02:00Z" when Adobe reported it, else the run's start. */
export function windowLabel(run: {
  window?: RunWindow
  startedAt?: number
  createdAt?: number
}): string {
  const iso = (t: number): string => new Date(t).toISOString().replace(/:\d\d\.\d+Z$/, 'Z')
  if (run.window) return `${iso(run.window.start)}–${iso(run.window.end)}`
  const start = run.startedAt ?? run.createdAt
  return start ? `started ${iso(start)}` : ''
}

/**
 * When a run was made, one way everywhere (decisions, reconciliation, listings): Adobe's
 * `createdAt`, else the start of its run. Undefined when Adobe says neither.
 */
export const runTime = (run: { createdAt?: number; startedAt?: number }): number | undefined =>
  run.createdAt ?? run.startedAt

/**
 * A run's place in time for ordering and time bounds. A run with no date at all is taken for
 * the newest (Adobe has not stamped it yet): never for the oldest, so no time filter drops it and
 * no "newest retry" rule passes it over.
 */
export const runOrder = (run: { createdAt?: number; startedAt?: number }): number =>
  runTime(run) ?? Number.POSITIVE_INFINITY

/** Oldest first, by `runOrder` (undated runs last). */
export function oldestFirst(
  a: { createdAt?: number; startedAt?: number },
  b: { createdAt?: number; startedAt?: number }
): number {
  const x = runOrder(a)
  const y = runOrder(b)
  return x === y ? 0 : x < y ? -1 : 1
}

/** Two windows are the same window of source files. */
export const sameWindow = (a?: RunWindow, b?: RunWindow): boolean =>
  !!a && !!b && a.start === b.start && a.end === b.end

function errorTexts(list: unknown): string[] {
  if (!Array.isArray(list)) return []
  return list.map(e => {
    const { code, message, recordCount } = obj(e)
    const text = [str(code), str(message)].filter(Boolean).join(': ') || JSON.stringify(e)
    const records = num(recordCount)
    return !records ? text : `${text} (${records} record${records === 1 ? '' : 's'})`
  })
}

/**
 * What Adobe says beyond error codes, from the first activity that says it: the connector's own
 * text and where the failed records and sample errors are kept (kept 30 days, when the flow
 * enabled diagnostics). Server text: bounded here, escaped where it is shown.
 */
function diagnosticsOf(activities: unknown[]): Diagnostics | undefined {
  const found: Diagnostics = {}
  for (const a of activities) {
    const ext = obj(obj(obj(a).statusSummary).extensions)
    const manifest = obj(ext.manifest)
    found.errorDetail ??= str(ext.errorDetail)?.slice(0, 1000)
    found.failedRecords ??= link(manifest.failedRecords)
    found.sampleErrors ??= link(manifest.sampleErrors)
  }
  return Object.values(found).some(Boolean) ? found : undefined
}

/** A link Adobe gives, kept only when it is an https URL (shown as text, never as a live link). */
function link(value: unknown): string | undefined {
  const text = str(value)
  if (!text || text.length > 500) return undefined
  try {
    return new URL(text).protocol === 'https:' ? text : undefined
  } catch {
    return undefined
  }
}

/** Seconds the run took, where Adobe says. */
export function runDurationSeconds(run: RunInfo): number | undefined {
  if (run.startedAt === undefined || run.completedAt === undefined) return undefined
  return Math.max(0, Math.round((run.completedAt - run.startedAt) / 1000))
}

export type PrecheckDecision =
  { retrigger: true; note?: string } | { retrigger: false; reason: string }

/**
 * Whether a run may be re-triggered. Adobe allows failed runs, and successful runs that
 * ingested nothing; re-triggering a run that ingested records would ingest them again.
 */
export function precheck(run: RunInfo, force: boolean): PrecheckDecision {
  const records = run.recordsIngested
  switch (run.status) {
    case 'failed':
      return { retrigger: true }
    case 'success':
    case 'partial-success':
      if (run.status === 'success' && records === 0) {
        return { retrigger: true, note: 'succeeded with zero records ingested' }
      }
      if (force)
        return {
          retrigger: true,
          note: `forced: run ${run.rawStatus} with ${records ?? 'an unknown number of'} records ingested`
        }
      return {
        retrigger: false,
        reason: `run ${run.id} ended "${run.rawStatus}" with ${records ?? 'an unknown number of'} records ingested; re-triggering would ingest them again. Set \`force: true\` to re-trigger anyway.`
      }
    case 'cancelled':
      return { retrigger: true, note: 'run was cancelled' }
    case 'in-progress':
      return {
        retrigger: false,
        reason: `run ${run.id} is still running (status "${run.rawStatus}"); wait for it to finish.`
      }
    default:
      return {
        retrigger: false,
        reason: `run ${run.id} has status "${run.rawStatus}", which is not a finished failure; only failed runs can be re-triggered.`
      }
  }
}
