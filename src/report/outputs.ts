import * as core from '@actions/core'
import type { OutputName } from './output-table.js'
import type { Report } from './report.js'
import type { RunResult } from '../step/result.js'
import { redact } from '../text/secrets.js'
import { isoTime } from '../text/time.js'
import { isSingle } from '../inputs/sandboxes.js'

/**
 * Sets every output; called before the step can fail, so later steps always have them. Values
 * are redacted one by one before any JSON is built, so a mask can never break the JSON.
 */
export function writeOutputs(report: Report): void {
  const { results } = report
  const retriggered = results.filter(r => r.newRunId)
  // Every value redacted before it is set (and each field before JSON is built from it).
  const set = (name: OutputName, value: string | number | undefined): void => {
    if (value !== undefined) core.setOutput(name, redact(String(value)))
  }
  // Whether the lists below are what the step found, or only what it got to before it stopped.
  set('looked', String(report.looked !== false))
  set('new-run-ids', JSON.stringify(retriggered.map(r => r.newRunId)))
  // The runs the log says were (would be) re-triggered: the POST's target, which is the failed
  // retry when a window is retried again, as "Would re-trigger run …" names it. A matrix job
  // given one decides again from its chain (a retry of ours stands for its window: decide.ts).
  set(
    'run-ids',
    JSON.stringify(
      results
        .filter(r => r.state === 'retriggered' || r.state === 'would-retrigger')
        .map(r => r.retriggeredRunId ?? r.runId)
    )
  )
  set('results', JSON.stringify(results.map(publicResult)))
  // Names checked by the input's and discovery's pattern (lowercase letters, digits, hyphens).
  set(
    'sandboxes',
    JSON.stringify(
      report.sandboxes ??
        (report.inputs && isSingle(report.inputs.sandboxes) ? [report.inputs.sandbox] : [])
    )
  )
  if (retriggered.length === 1) {
    set('new-run-id', retriggered[0].newRunId)
    set('etag', retriggered[0].etag)
  }
  if (results.length === 1) {
    const [only] = results
    set('flow-id', only.flowId)
    set('previous-status', only.previousStatus && redact(only.previousStatus))
    set('status', only.finalStatus)
    set('duration', only.durationSeconds)
    set('records-ingested', only.recordsIngested)
  }
}

function publicResult(r: RunResult): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    'run-id': r.runId,
    // Only when the step swept several sandboxes: one sandbox's rows stay as they always were.
    ...(r.sandbox !== undefined ? { sandbox: r.sandbox } : {}),
    source: r.source,
    'flow-id': r.flowId ?? null,
    'flow-name': r.flowName ?? null,
    'previous-status': r.previousStatus ?? null,
    // The failed window's files, when Adobe reports them (ISO times), else when the run started.
    // Total: a time Date cannot hold (a window start of 1e16 ms) is null, never a RangeError here.
    window: windowTimes(r),
    'started-at': isoTime(r.startedAt) ?? null,
    state: r.state,
    'new-run-id': r.newRunId ?? null,
    etag: r.etag ?? null,
    'retriggered-run-id': r.retriggeredRunId ?? null,
    'earlier-retries': r.earlierRetries ?? [],
    // With `waiting`: when the next retry is due (ISO time).
    'next-retry-at': isoTime(r.nextRetryAt) ?? null,
    status: r.finalStatus ?? null,
    duration: r.durationSeconds ?? null,
    'records-ingested': r.recordsIngested ?? null,
    error: r.error ?? null
  }
  // Server text and ids alike: redacted one by one, so a mask can never break the JSON.
  return Object.fromEntries(
    Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? redact(v) : v])
  )
}

/** The window as ISO times, or null when Adobe reported none or a bound is no time Date can hold. */
function windowTimes(r: RunResult): { start: string; end: string } | null {
  const start = isoTime(r.window?.start)
  const end = isoTime(r.window?.end)
  return start && end ? { start, end } : null
}
