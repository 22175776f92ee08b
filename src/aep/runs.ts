import { asEtag, asUuid } from '../inputs/ids.js'
import { keepShown, TextBudget } from '../text/keep.js'
import { isoTime } from '../text/time.js'

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

// What a run keeps of the server's text, at the size it is shown (keep.ts): the summary and the
// issues clip server text at 400 characters, the connector's text at 600.
const TEXT_SHOWN = 400
const DETAIL_SHOWN = 600
/** A run's errors kept for showing; a last line says how many more there were. */
const ERRORS_KEPT = 5
/** Error codes kept per run: they group failures and match `skip-errors`. Adobe's are ~20 characters. */
const CAUSES_KEPT = 10
const CODE_KEPT = 64
const STATUS_KEPT = 64
/** A longer `createdClient` is no client id (Adobe's are 32 characters): kept as a marker. */
const CLIENT_KEPT = 256
/** Entries read of one errors list or activities list: bounds the work a run of 100,000 costs. */
const ENTRIES_READ = 100
/** Said instead of a run's errors once its listing's text budget is spent. */
export const ERRORS_NOT_KEPT =
  "(error text not kept: this listing's errors reached the size the step can show)"
/** Stands for a `createdClient` too long to be one: it equals no client id (not ASCII). */
const LONG_CLIENT = '(a client name too long to be one…)'

// Times Adobe sends are epoch milliseconds of runs that exist. One before 2000 (seconds read as
// milliseconds) or more than a day ahead of this runner's clock (nanoseconds, a year ahead) is no
// time a run had: it is read as unknown, as if Adobe had not sent it. Unknown, not clamped: every
// place that dates a run has a rule for an unknown time (the sweep leaves a failure it cannot
// date alone and says so; a run of ours without one is kept), while a clamped time would be an
// invented one that moves the run in the order that ties retries to failures (a failure clamped
// ahead of our running retry would be re-triggered again). Clocks differ by seconds, not a day.
const EARLIEST = Date.UTC(2000, 0, 1)
const AHEAD_MS = 24 * 3_600_000

/** What reading one answer, or one listing page after page, shares. */
export interface Reading {
  /** This runner's clock when the reading began. */
  now: number
  /** Server text kept for showing, across the listing. */
  text: TextBudget
  /** Items read with a time that is not believed (see EARLIEST, AHEAD_MS). */
  doubtful: number
}

/** A fresh reading: `textChars` bounds the text kept for showing across it. */
export function reading(textChars = Infinity, now = Date.now()): Reading {
  return { now, text: new TextBudget(textChars), doubtful: 0 }
}

/** `GET /runs/{id}` answers `{"items": [run]}` per the spec; a bare run object is accepted too. */
export function runFromAnswer(answer: unknown, r: Reading = reading()): RunInfo | undefined {
  const root = obj(answer)
  const items = Array.isArray(root.items) ? root.items : undefined
  return parseRun(items ? items[0] : root, r)
}

/**
 * A run as Adobe describes it, or undefined when its id is not a UUID (then it is not a run we act
 * on). Only what is used is kept, each text at the size it is shown and copied flat (keep.ts):
 * nothing of the answer stays alive through a run, so a listing costs what it reports.
 */
export function parseRun(value: unknown, r: Reading = reading()): RunInfo | undefined {
  const run = obj(value)
  const id = asUuid(run.id)
  if (!id) return undefined
  let doubtful = false
  const time = (v: unknown): number | undefined => {
    const t = num(v)
    if (t === undefined || (t >= EARLIEST && t <= r.now + AHEAD_MS)) return t
    doubtful = true
    return undefined
  }
  const metrics = obj(run.metrics)
  const statusSummary = obj(metrics.statusSummary)
  const durations = obj(metrics.durationSummary)
  const records = obj(metrics.recordSummary)
  const rawStatus = str(statusSummary.status) ?? 'unknown'
  const activities = entries([run.activities, run.activites].find(Array.isArray))
  const runErrors = errorTexts(statusSummary.errors)
  // Activities often repeat the run's own errors: show only what they add.
  const activityErrors = activities.flatMap(a => {
    const activity = obj(a)
    const name = str(activity.name)
    const summary = obj(activity.statusSummary)
    // The activity's own errors, with how many records each hit (help/dataflows/api/monitor.md);
    // often the run's own again, which are shown once.
    const extensionErrors = entries(obj(summary.extensions).errors).filter(
      e => !runErrors.includes(errorTexts([{ ...obj(e), recordCount: undefined }])[0])
    )
    return [...errorTexts(summary.errors), ...errorTexts(extensionErrors)]
      .filter(e => !runErrors.includes(e))
      .map(e => (name ? `${name}: ${e}` : e))
  })
  const causes = new Map<string, Cause>()
  for (const list of [
    statusSummary.errors,
    ...activities.map(a => obj(obj(a).statusSummary).errors),
    ...activities.map(a => obj(obj(obj(a).statusSummary).extensions).errors)
  ])
    for (const e of entries(list)) {
      if (causes.size >= CAUSES_KEPT) break
      const given = str(obj(e).code)
      const code = given ? keepShown(given, CODE_KEPT) : '(no code)'
      if (!causes.has(code))
        causes.set(code, {
          code,
          message: r.text.keep(str(obj(e).message) ?? '', TEXT_SHOWN) ?? ''
        })
    }
  const client = str(run.createdClient) ?? str(run.createdBy)
  const info: RunInfo = {
    id,
    flowId: asUuid(run.flowId),
    createdAt: time(run.createdAt),
    createdClient: client && client.length > CLIENT_KEPT ? LONG_CLIENT : client,
    etag: asEtag(run.eTag) ?? asEtag(run.etag),
    status: normaliseStatus(rawStatus),
    rawStatus: keepShown(rawStatus, STATUS_KEPT),
    startedAt: time(durations.startedAtUTC),
    completedAt: time(durations.completedAtUTC),
    recordsIngested: num(records.outputRecordCount),
    recordsFailed: num(records.failedRecordCount),
    window: copyWindow(activities),
    diagnostics: diagnosticsOf(activities, r),
    errors: keptErrors([...new Set([...runErrors, ...activityErrors])], r),
    causes: [...causes.values()]
  }
  if (doubtful) r.doubtful++
  return info
}

/** The first entries of a list Adobe sends (none when it is no list). */
function entries(list: unknown): unknown[] {
  return Array.isArray(list) ? list.slice(0, ENTRIES_READ) : []
}

/** The first errors, each kept at its shown size within the listing's budget, then how many more. */
function keptErrors(errors: string[], r: Reading): string[] {
  const kept: string[] = []
  for (const e of errors.slice(0, ERRORS_KEPT)) {
    const text = r.text.keep(e, TEXT_SHOWN)
    if (text === undefined) return [...kept, ERRORS_NOT_KEPT]
    kept.push(text)
  }
  if (errors.length > ERRORS_KEPT) kept.push(`(${errors.length - ERRORS_KEPT} more error(s))`)
  return kept
}

/**
 * The first activity's window that Adobe reports whole (start before end, both epoch ms). Not
 * checked as times: a window is the identity of the files a run processes, only ever compared for
 * equality, and a retry reports the same numbers, so even a window no clock could read still ties
 * a retry to its failure (without it, the timing rule may not). Showing it is total (windowLabel).
 */
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
  // Total: a time Date cannot hold is left out (a window is then labelled by the run's start).
  const iso = (t: number | undefined): string | undefined =>
    isoTime(t)?.replace(/:\d\d\.\d+Z$/, 'Z')
  const [from, to] = run.window ? [iso(run.window.start), iso(run.window.end)] : []
  if (from && to) return `${from}–${to}`
  const start = iso(run.startedAt ?? run.createdAt)
  return start ? `started ${start}` : ''
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
  return entries(list).map(e => {
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
function diagnosticsOf(activities: unknown[], r: Reading): Diagnostics | undefined {
  const found: Diagnostics = {}
  for (const a of activities) {
    const ext = obj(obj(obj(a).statusSummary).extensions)
    const manifest = obj(ext.manifest)
    const detail = str(ext.errorDetail)
    if (detail) found.errorDetail ??= r.text.keep(detail, DETAIL_SHOWN)
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
