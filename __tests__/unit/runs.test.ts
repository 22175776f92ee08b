import { describe, expect, it } from '@jest/globals'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { parseFlow } from '../../src/aep/flows.js'
import {
  ERRORS_NOT_KEPT,
  isFinal,
  normaliseStatus,
  parseRun,
  precheck,
  reading,
  runDurationSeconds,
  runFromAnswer,
  windowLabel
} from '../../src/aep/runs.js'
import { isoTime } from '../../src/text/time.js'

const RUN_A = '4fb0418e-1804-45d6-8d56-dd51f05c0baf'
const T0 = Date.UTC(2026, 0, 2)

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
        durationSummary: { startedAtUTC: T0 + 1000, completedAtUTC: T0 + 61_000 }
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

describe('times Adobe sends (issue 27.4)', () => {
  const NOW = Date.UTC(2026, 0, 2, 12)
  const DAY = 86_400_000
  const timed = (t: unknown, r = reading(Infinity, NOW)) =>
    parseRun(
      {
        id: RUN_A,
        createdAt: t,
        metrics: { durationSummary: { startedAtUTC: t, completedAtUTC: t } }
      },
      r
    )!

  it.each([
    ['an epoch-ms time', NOW - 3_600_000, NOW - 3_600_000],
    ['an hour ahead (a skewed clock)', NOW + 3_600_000, NOW + 3_600_000],
    ['1 January 2000', Date.UTC(2000, 0, 1), Date.UTC(2000, 0, 1)],
    ['1e16 ms (past what Date holds)', 1e16, undefined],
    ['nanoseconds', NOW * 1e6, undefined],
    ['microseconds', NOW * 1e3, undefined],
    ['seconds', NOW / 1000, undefined],
    ['two days ahead', NOW + 2 * DAY, undefined],
    ['1999', Date.UTC(1999, 11, 31), undefined],
    ['negative', -1, undefined],
    ['not a number', '2026-01-02', undefined],
    ['NaN', NaN, undefined]
  ])('%s: %p is read as %p', (_what, given, expected) => {
    const r = reading(Infinity, NOW)
    const run = timed(given, r)
    expect([run.createdAt, run.startedAt, run.completedAt]).toEqual([expected, expected, expected])
    // A time that was there and not believed is counted, so the listing can say so.
    expect(r.doubtful).toBe(
      typeof given === 'number' && Number.isFinite(given) && !expected ? 1 : 0
    )
  })

  it('a window no clock could read still ties a retry to its failure, and is never shown as a time', () => {
    const window = { windowStart: 1e16, windowEnd: 1e16 + 3_600_000 }
    const run = parseRun({
      id: RUN_A,
      createdAt: T0,
      activities: [{ durationSummary: { extensions: window } }]
    })!
    expect(run.window).toEqual({ start: 1e16, end: 1e16 + 3_600_000 })
    expect(windowLabel(run)).toBe('started 2026-01-02T00:00Z')
    expect(windowLabel({ window: run.window })).toBe('')
    expect(windowLabel({ startedAt: 1e16 })).toBe('')
  })

  it.each([
    [T0, '2026-01-02T00:00:00.000Z'],
    [8.64e15, '+275760-09-13T00:00:00.000Z'],
    [8.64e15 + 1, undefined],
    [1e16, undefined],
    [-1e16, undefined],
    [NaN, undefined],
    [Infinity, undefined],
    [undefined, undefined]
  ])('isoTime(%p) is %p, never a RangeError', (t, expected) => {
    expect(isoTime(t)).toBe(expected)
  })
})

describe('what a run and a flow keep of a listing (issue 27.10)', () => {
  const MiB = 2 ** 20
  const failed = (n: number, errors: unknown[], extra: Record<string, unknown> = {}) => ({
    id: `4fb0418e-1804-45d6-8d56-${String(n).padStart(12, '0')}`,
    createdAt: T0,
    metrics: { statusSummary: { status: 'failed', errors } },
    ...extra
  })

  it('each text at the size it is shown: errors, codes, status, connector text, client, name', () => {
    const huge = 'x'.repeat(MiB)
    const run = parseRun(
      failed(1, [{ code: `C-${huge}`, message: huge }], {
        createdClient: huge,
        metrics: {
          statusSummary: { status: `failed${huge}`, errors: [{ code: 'C', message: huge }] }
        },
        activities: [{ statusSummary: { extensions: { errorDetail: huge } } }]
      })
    )!
    expect(run.errors).toEqual([`C: ${'x'.repeat(397)}…`])
    expect(run.causes).toEqual([{ code: 'C', message: `${'x'.repeat(400)}…` }])
    expect(run.rawStatus).toHaveLength(65)
    expect(run.diagnostics?.errorDetail).toHaveLength(601)
    expect(run.createdClient).not.toContain('x')
    expect(parseFlow({ id: RUN_A, name: huge })!.name).toHaveLength(1001)
  })

  it('at most 5 errors and 10 codes a run, then how many more', () => {
    const errors = Array.from({ length: 30 }, (_, i) => ({ code: `C${i}`, message: 'm' }))
    const run = parseRun(failed(1, errors))!
    expect(run.errors).toEqual(['C0: m', 'C1: m', 'C2: m', 'C3: m', 'C4: m', '(25 more error(s))'])
    expect(run.causes.map(c => c.code)).toEqual(Array.from({ length: 10 }, (_, i) => `C${i}`))
  })

  it("a listing's text budget: once spent, runs keep their codes and say their text was not kept", () => {
    const r = reading(1000)
    const error = { code: 'CONNECTOR-1001-500', message: 'y'.repeat(600) }
    const [first, second, third] = [1, 2, 3].map(n => parseRun(failed(n, [error]), r)!)
    expect(first.errors[0]).toHaveLength(401)
    expect(first.causes[0].message).toHaveLength(401)
    // 198 characters were left: the second's cause message takes them.
    expect(second.causes[0].message).toHaveLength(199)
    expect(second.errors).toEqual([ERRORS_NOT_KEPT])
    expect(third.errors).toEqual([ERRORS_NOT_KEPT])
    expect(third.causes).toEqual([{ code: 'CONNECTOR-1001-500', message: '' }])
  })

  it('keeps nothing of the answer alive: 40 runs and 40 flows read from 1 MiB texts hold < 4 MiB', () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const heap = () => {
      gc()
      gc()
      return process.memoryUsage().heapUsed
    }
    const text = (i: number) => `${i}`.padEnd(MiB, 'z')
    const before = heap()
    const kept = Array.from({ length: 40 }, (_, i) => [
      parseRun(failed(i, [{ code: 'C', message: text(i) }]))!,
      parseFlow({ id: RUN_A, name: text(i) })!
    ])
    const held = heap() - before
    expect(kept).toHaveLength(40)
    expect(held).toBeLessThan(4 * MiB)
  })
})
