import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as core from '../../__fixtures__/core.js'
import type { Outcome, RunResult } from '../../src/step/result.js'

jest.unstable_mockModule('@actions/core', () => core)
const { StepResults } = await import('../../src/step/step-results.js')

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const pending = (n: number): RunResult => ({ runId: id(n), source: 'run-id', state: 'pending' })
const retriggered = (n: number, over: Partial<Outcome> = {}): Outcome =>
  ({ state: 'retriggered', newRunId: id(100 + n), etag: '"e"', ...over }) as Outcome

beforeEach(() => {
  for (const fn of [core.info, core.error, core.notice, core.warning]) fn.mockClear()
})

describe('StepResults: the one place outcomes become rows', () => {
  it('merges an outcome into its row, keeping what the row knew, in the order expected', () => {
    const results = new StepResults()
    results.expect([{ ...pending(1), flowId: 'f', previousStatus: 'failed' }, pending(2)])
    results.record(id(2), retriggered(2))
    results.record(id(1), retriggered(1))
    expect(results.all.map(r => [r.runId, r.state, r.flowId, r.previousStatus])).toEqual([
      [id(1), 'retriggered', 'f', 'failed'],
      [id(2), 'retriggered', undefined, undefined]
    ])
  })

  it.each<[string, Outcome, number, RegExp | undefined, 'info' | 'error' | undefined]>([
    [
      'a re-trigger',
      retriggered(1),
      2,
      /^Re-triggered run .*: new run .*, etag "e" \[1\/2\]$/,
      'info'
    ],
    [
      'a retry of a retry',
      retriggered(1, { retriggeredRunId: id(7), earlierRetries: [id(7)] }),
      1,
      /^Re-triggered run 0+-0000-4000-8000-0+7 \(retry 2 of run .*\): .* \[1\/1\]$/,
      'info'
    ],
    [
      'a dry run',
      { state: 'would-retrigger', flowId: 'f' },
      1,
      /^Would re-trigger run .* of flow f \[1\/1\]$/,
      'info'
    ],
    // One run: the step's verdict says it, so it is not an annotation as well.
    ['an error of the only run', { state: 'error', error: 'boom' }, 1, undefined, undefined],
    ['an error among several', { state: 'error', error: 'boom' }, 2, /^Run .*: boom$/, 'error'],
    ['exhausted, the only run', { state: 'retries-exhausted', error: 'done' }, 1, /^done$/, 'info'],
    // Among several, a window for a person is logged here and annotated by the verdict, once
    // escalation has said whether an open issue already holds it (report/verdict.ts).
    ['exhausted among several', { state: 'retries-exhausted', error: 'done' }, 2, /^done$/, 'info'],
    [
      'needs a fix among several',
      { state: 'needs-fix', error: 'fix', skippedFor: 'X' },
      2,
      /^fix$/,
      'info'
    ]
  ])(
    '%s: said as the number of runs asks (once, or not at all)',
    (_name, outcome, runs, line, level) => {
      const results = new StepResults()
      results.expect(Array.from({ length: runs }, (_, i) => pending(i + 1)))
      results.record(id(1), outcome)
      const said = [...core.info.mock.calls, ...core.error.mock.calls].map(c => String(c[0]))
      if (!line) expect(said).toEqual([])
      else {
        expect(said).toHaveLength(1)
        expect(said[0]).toMatch(line)
        expect(core[level!]).toHaveBeenCalledTimes(1)
      }
    }
  )

  it('counts progress over every run expected, also those a sweep adds later; pending is not done', () => {
    const results = new StepResults()
    results.expect([pending(1)])
    results.record(id(1), { state: 'pending' })
    results.expect([pending(2), pending(3)])
    results.record(id(2), retriggered(2))
    expect(core.info.mock.calls.map(c => String(c[0]))).toEqual([
      expect.stringMatching(/\[1\/3\]$/)
    ])
    expect(results.total).toBe(3)
  })

  it('records what became of a new run on the row that made it; a refusal while waiting is an error', () => {
    const results = new StepResults()
    results.expect([pending(1), pending(2)])
    results.record(id(1), retriggered(1))
    results.record(id(2), retriggered(2))
    results.waited(id(101), { finalStatus: 'success', durationSeconds: 3, recordsIngested: 5 })
    results.waited(id(102), { error: 'waiting for new run: 403' })
    expect(results.all.map(r => [r.state, r.finalStatus, r.recordsIngested, r.error])).toEqual([
      ['retriggered', 'success', 5, undefined],
      ['error', undefined, undefined, 'waiting for new run: 403']
    ])
  })

  it('refuses an outcome for a run it was not told to expect', () => {
    expect(() => new StepResults().record(id(9), retriggered(9))).toThrow(/no run .* is expected/)
  })
})
