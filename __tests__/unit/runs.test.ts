import { describe, expect, it } from '@jest/globals'
import {
  isFinal,
  normaliseStatus,
  parseRun,
  precheck,
  runDurationSeconds,
  runFromAnswer
} from '../../src/aep/runs.js'

const RUN_A = '4fb0418e-1804-45d6-8d56-dd51f05c0baf'

const run = (status: string, records?: number, extra: Record<string, unknown> = {}) =>
  parseRun({
    id: 'AB34D3A3-0A6B-4B8F-9C0D-1E2F3A4B5C6D',
    flowId: 'F',
    metrics: {
      statusSummary: { status },
      recordSummary: records === undefined ? undefined : { outputRecordCount: records }
    },
    ...extra
  })!

describe('run statuses', () => {
  it.each([
    ['success', 'success', true],
    ['Success', 'success', true],
    ['failed', 'failed', true],
    ['FAILED', 'failed', true],
    ['cancelled', 'cancelled', true],
    ['partialSuccess', 'partial-success', true],
    ['partial_failure', 'failed', true],
    ['inProgress', 'in-progress', false],
    ['queued', 'in-progress', false],
    ['somethingNew', 'unknown', false]
  ])('%s is %s (final: %s)', (raw, status, final) => {
    expect(normaliseStatus(raw)).toBe(status)
    expect(isFinal(normaliseStatus(raw))).toBe(final)
  })
})

describe('reading runs', () => {
  it("accepts the spec's {items: [run]} and a bare run object", () => {
    expect(runFromAnswer({ items: [{ id: RUN_A }] })?.id).toBe(RUN_A)
    expect(runFromAnswer({ id: RUN_A.toUpperCase() })?.id).toBe(RUN_A)
    expect(runFromAnswer({ id: 'X/action?op=cancel#' })).toBeUndefined()
    expect(runFromAnswer({ items: [] })).toBeUndefined()
    expect(runFromAnswer('nonsense')).toBeUndefined()
  })

  it('collects run and activity errors (either spelling), without repeats, and the duration', () => {
    const parsed = parseRun({
      id: 'AB34D3A3-0A6B-4B8F-9C0D-1E2F3A4B5C6D',
      eTag: '"e"',
      metrics: {
        statusSummary: { status: 'failed', errors: [{ code: 'C1', message: 'boom' }] },
        durationSummary: { startedAtUTC: 1000, completedAtUTC: 61_000 }
      },
      activites: [
        {
          name: 'Copy',
          statusSummary: {
            errors: [
              { code: 'C1', message: 'boom' },
              { code: 'C2', message: 'disk' }
            ]
          }
        }
      ]
    })!
    expect(parsed.errors).toEqual(['C1: boom', 'Copy: C2: disk'])
    expect(parsed.etag).toBe('"e"')
    expect(runDurationSeconds(parsed)).toBe(60)
  })
})

describe('precheck', () => {
  it('re-triggers failed runs and successes that ingested nothing', () => {
    expect(precheck(run('failed'), false).retrigger).toBe(true)
    expect(precheck(run('success', 0), false)).toEqual({
      retrigger: true,
      note: 'succeeded with zero records ingested'
    })
  })

  it('refuses runs that ingested records unless forced, and runs not finished', () => {
    expect(precheck(run('success', 10), false)).toMatchObject({
      retrigger: false,
      reason: expect.stringContaining('`force: true`')
    })
    expect(precheck(run('success'), false)).toMatchObject({
      retrigger: false,
      reason: expect.stringContaining('an unknown number of records')
    })
    expect(precheck(run('success', 10), true).retrigger).toBe(true)
    expect(precheck(run('inProgress'), true)).toMatchObject({
      retrigger: false,
      reason: expect.stringContaining('still running')
    })
    expect(precheck(run('weird'), false)).toMatchObject({
      retrigger: false,
      reason: expect.stringContaining('"weird"')
    })
  })
})

describe('why a run failed, as Adobe reports it (help/dataflows/api/monitor.md)', () => {
  const copy = {
    name: 'Copy Activity',
    durationSummary: { extensions: { windowStart: 1_000, windowEnd: 2_000 } },
    statusSummary: {
      status: 'failed',
      extensions: {
        errors: [{ code: 'INGEST-1212-400', message: 'Errors in the data', recordCount: 12 }],
        errorDetail: 'java.io.IOException: SFTP server closed the connection',
        manifest: {
          failedRecords:
            'https://platform.adobe.io/data/foundation/export/batches/B1/meta?path=row_errors',
          sampleErrors: 'javascript:alert(1)'
        }
      }
    }
  }

  it('reads the window, activity errors with their record counts, the connector text and https links only', () => {
    const parsed = run('failed', 0, { activities: [copy] })
    expect(parsed.window).toEqual({ start: 1_000, end: 2_000 })
    expect(parsed.errors).toEqual([
      'Copy Activity: INGEST-1212-400: Errors in the data (12 records)'
    ])
    expect(parsed.causes).toEqual([{ code: 'INGEST-1212-400', message: 'Errors in the data' }])
    expect(parsed.diagnostics).toEqual({
      errorDetail: 'java.io.IOException: SFTP server closed the connection',
      failedRecords:
        'https://platform.adobe.io/data/foundation/export/batches/B1/meta?path=row_errors'
    })
  })

  it('a window that runs backwards or lacks an end is no window; the misspelled `activites` is read too', () => {
    const backwards = { durationSummary: { extensions: { windowStart: 5, windowEnd: 1 } } }
    expect(run('failed', 0, { activities: [backwards] }).window).toBeUndefined()
    expect(run('failed', 0, { activites: [copy] }).window).toEqual({ start: 1_000, end: 2_000 })
  })
})
