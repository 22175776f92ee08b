import { describe, expect, it, jest } from '@jest/globals'
import * as core from '../../__fixtures__/core.js'
import type { RunResult } from '../../src/step/result.js'

jest.unstable_mockModule('@actions/core', () => core)
const { renderSummary } = await import('../../src/report/summary.js')
const { writeOutputs } = await import('../../src/report/outputs.js')
const { isFailure } = await import('../../src/step/result.js')
const { readInputs } = await import('../../src/inputs/inputs.js')

const result = (i: number, over: Partial<RunResult> = {}): RunResult => ({
  runId: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
  flowId: 'ffffffff-0000-0000-0000-000000000000',
  source: 'run-id',
  previousStatus: 'failed',
  state: 'retriggered',
  newRunId: `11111111-0000-0000-0000-${String(i).padStart(12, '0')}`,
  etag: '"1100c53e-0000-0200-0000-627138980000"',
  ...over
})

describe('outputs', () => {
  it('sets new-run-id and etag only for exactly one re-triggered run, and JSON arrays always', () => {
    core.setOutput.mockClear()
    writeOutputs({ results: [result(1)], skippedFlows: [], sweptFlows: [], issues: [] })
    const set = Object.fromEntries(core.setOutput.mock.calls.map(c => [c[0], c[1]]))
    expect(set).toMatchObject({
      'new-run-id': result(1).newRunId,
      etag: '"1100c53e-0000-0200-0000-627138980000"',
      'previous-status': 'failed'
    })
    expect(JSON.parse(set['new-run-ids'] as string)).toEqual([result(1).newRunId])

    core.setOutput.mockClear()
    writeOutputs({
      results: [
        result(1),
        result(2, { state: 'error', newRunId: undefined, error: 'HTTP 404' }),
        result(3)
      ],
      skippedFlows: [],
      sweptFlows: [],
      issues: []
    })
    const many = Object.fromEntries(core.setOutput.mock.calls.map(c => [c[0], c[1]]))
    expect(many['new-run-id']).toBeUndefined()
    expect(many['previous-status']).toBeUndefined()
    expect(JSON.parse(many['new-run-ids'] as string)).toEqual([
      result(1).newRunId,
      result(3).newRunId
    ])
    expect(JSON.parse(many['run-ids'] as string)).toEqual([result(1).runId, result(3).runId])
    expect(JSON.parse(many.results as string)[1]).toMatchObject({
      state: 'error',
      error: 'HTTP 404',
      'new-run-id': null
    })
  })
})

describe('summary', () => {
  it("stays under the runner's 1 MiB limit for any number of runs, with a note", () => {
    const results = Array.from({ length: 10_000 }, (_, i) =>
      result(i, { previousErrors: ['E'.repeat(300)] })
    )
    const text = renderSummary({ results, skippedFlows: [], sweptFlows: [], issues: [] }, undefined)
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024)
    expect(text).toMatch(/_\d+ more runs are not shown/)
    expect(text).toContain('10000 runs selected · 10000 re-triggered')
  })

  it('two 600 KB error codes: every server field bounded, the whole cut with a note, never over 1 MiB', () => {
    const codes = ['A', 'B'].map(c => `${c}-${'9'.repeat(600_000)}`)
    const results = codes.map((c, i) =>
      result(i, {
        state: 'needs-fix',
        newRunId: undefined,
        skippedFor: c,
        previousErrors: [`${c}: ${'m'.repeat(600_000)}`]
      })
    )
    const text = renderSummary(
      {
        results,
        skippedFlows: [],
        sweptFlows: [],
        issues: [],
        inputs: {
          sandbox: 'prod',
          'flow-id': { all: false, ids: [] },
          'skip-errors': ['*-*']
        } as never
      },
      undefined
    )
    expect(Buffer.byteLength(text)).toBeLessThan(100_000)
    // Emoji are 2 characters but 4 bytes: the table's character bound alone lets this pass 1 MiB.
    const many = Array.from({ length: 3000 }, (_, i) => result(i, { flowName: '😀'.repeat(200) }))
    const big = renderSummary(
      { results: many, skippedFlows: [], sweptFlows: [], issues: [] },
      undefined
    )
    expect(Buffer.byteLength(big)).toBeLessThan(1024 * 1024)
    expect(big).toMatch(/_The summary was cut here to stay under the runner's 1 MiB limit/)
  })

  it('escapes table cells so an error text cannot break the table', () => {
    const text = renderSummary(
      {
        results: [result(1, { state: 'error', newRunId: undefined, error: 'a | b\nc' })],
        skippedFlows: [],
        sweptFlows: [],
        issues: []
      },
      undefined
    )
    expect(text).toContain('a \\| b c')
    expect(text).not.toContain('⏎')
  })
})

describe('isFailure', () => {
  it('fails on errors and timeouts always, on failed runs only when asked', () => {
    expect(isFailure(result(1), true)).toBe(false)
    expect(isFailure(result(1, { state: 'error' }), false)).toBe(true)
    expect(isFailure(result(1, { finalStatus: 'timeout' }), false)).toBe(true)
    expect(isFailure(result(1, { finalStatus: 'failed' }), true)).toBe(true)
    expect(isFailure(result(1, { finalStatus: 'failed' }), false)).toBe(false)
    expect(isFailure(result(1, { finalStatus: 'partial-success' }), true)).toBe(false)
  })
})

describe('a step that could not look says so, never "0 failed windows"', () => {
  const inputsOf = (given: Record<string, string>) =>
    readInputs(
      name =>
        ({ 'org-id': 'A@AdobeOrg', 'access-token': 'tok-12345678', 'api-key': 'k', ...given })[name]
    )
  const sweep = inputsOf({ 'flow-id': 'all' })
  const named = inputsOf({ 'run-id': '4fb0418e-1804-45d6-8d56-dd51f05c0baf' })
  const empty = { skippedFlows: [], sweptFlows: [], issues: [], stepError: 'HTTP 401' }
  const window = result(1, { source: 'flow-id', state: 'retriggered' })

  it.each([
    [
      'a sweep that listed nothing',
      { inputs: sweep, results: [] },
      /\*\*Not swept: .*sandbox `prod`/
    ],
    [
      'a sweep stopped part-way',
      { inputs: sweep, results: [window] },
      /\*\*Sweep incomplete: .*\*\* The 1 failed window\(s\) below are what it had found by then/
    ],
    ['runs named in run-id', { inputs: named, results: [] }, /\*\*No run was read: /]
  ])('%s', (_, over, headline) => {
    const text = renderSummary({ ...empty, ...over, looked: false }, undefined)
    expect(text).toMatch(headline)
    expect(text).not.toMatch(/Swept \d+ source dataflow/)
  })

  it('a step that looked, or was cancelled, has no such headline', () => {
    for (const over of [{ looked: true }, { looked: false, cancelled: true }, {}]) {
      const text = renderSummary({ ...empty, inputs: sweep, results: [], ...over }, undefined)
      expect(text).not.toMatch(/Not swept|No run was read|Sweep incomplete/)
    }
  })
})
