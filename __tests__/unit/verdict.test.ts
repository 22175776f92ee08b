// The step's verdict under `fail-on`, escalation's reading of the step, and the words of the
// causes table: pure, as tables.
import { describe, expect, it } from '@jest/globals'
import { escalations } from '../../src/github/escalation.js'
import type { IssueAction } from '../../src/github/issues.js'
import type { Inputs } from '../../src/inputs/inputs.js'
import { groupByCause, type Report } from '../../src/report/report.js'
import { stepVerdict } from '../../src/report/verdict.js'
import type { RunResult } from '../../src/step/result.js'

const FLOW_A = 'aaaaaaaa-0000-0000-0000-000000000000'
const FLOW_B = 'bbbbbbbb-0000-0000-0000-000000000000'
const run = (i: number, flowId: string, over: Partial<RunResult> = {}): RunResult => ({
  runId: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
  flowId,
  source: 'flow-id',
  state: 'retries-exhausted',
  error: `run ${i} exhausted`,
  ...over
})
const issue = (flowId: string, action: IssueAction['action']): IssueAction => ({
  flowId,
  number: 7,
  url: 'https://github.com/acme/ingestion/issues/7',
  action
})
const inputs = (over: Record<string, unknown>): Inputs =>
  ({
    'fail-on': 'new',
    'fail-on-run-failure': true,
    'dry-run': false,
    issues: { token: 't', labels: ['aep-dataflow'], repository: 'acme/ingestion', apiUrl: '' },
    ...over
  }) as unknown as Inputs
const report = (over: Partial<Report>): Report => ({
  results: [],
  skippedFlows: [],
  sweptFlows: [],
  issues: [],
  ...over
})

describe('stepVerdict', () => {
  const exhaustedA = run(1, FLOW_A)
  const exhaustedB = run(2, FLOW_B)
  it.each([
    {
      case: 'new: every failure in an open, unchanged issue → success, one warning per issue',
      r: report({
        inputs: inputs({}),
        results: [exhaustedA],
        issues: [issue(FLOW_A, 'unchanged')]
      }),
      fails: false,
      warnings: 1
    },
    {
      case: 'new: an issue that was commented (something changed) → fails',
      r: report({
        inputs: inputs({}),
        results: [exhaustedA],
        issues: [issue(FLOW_A, 'commented')]
      }),
      fails: true,
      warnings: 0
    },
    {
      case: 'new: a newly opened issue → fails',
      r: report({ inputs: inputs({}), results: [exhaustedA], issues: [issue(FLOW_A, 'opened')] }),
      fails: true,
      warnings: 0
    },
    {
      case: 'new: one flow known, another new → fails for the new one only',
      r: report({
        inputs: inputs({}),
        results: [exhaustedA, exhaustedB],
        issues: [issue(FLOW_A, 'unchanged')]
      }),
      fails: /^1 of 2 runs need attention.*1 more are already in open issues/,
      warnings: 1
    },
    {
      case: 'new without issue-on-failure is any',
      r: report({
        inputs: inputs({ issues: undefined }),
        results: [exhaustedA],
        issues: [issue(FLOW_A, 'unchanged')]
      }),
      fails: true,
      warnings: 0
    },
    {
      case: 'new in a dry run is any (nothing was handed over)',
      r: report({ inputs: inputs({ 'dry-run': true }), results: [exhaustedA] }),
      fails: true,
      warnings: 0
    },
    {
      case: 'any: an unchanged issue still fails',
      r: report({
        inputs: inputs({ 'fail-on': 'any' }),
        results: [exhaustedA],
        issues: [issue(FLOW_A, 'unchanged')]
      }),
      fails: true,
      warnings: 0
    },
    {
      case: 'never: each window needing a person is a warning, with one that counts them',
      r: report({ inputs: inputs({ 'fail-on': 'never' }), results: [exhaustedA, exhaustedB] }),
      fails: false,
      warnings: 3
    },
    {
      case: 'never: a step that could not run still fails',
      r: report({ inputs: inputs({ 'fail-on': 'never' }), stepError: 'Invalid input: x' }),
      fails: true,
      warnings: 0
    }
  ])('$case', ({ r, fails, warnings }) => {
    const verdict = stepVerdict(r)
    // Each exhausted window of several is an error annotation unless an issue already holds it.
    const annotated = r.stepError
      ? []
      : r.results.filter(
          x =>
            !(
              failOnIsNew(r) &&
              r.issues.some(i => i.flowId === x.flowId && i.action === 'unchanged')
            )
        )
    if (r.inputs?.['fail-on'] !== 'never' && r.results.length > 1)
      expect(verdict.errors).toEqual(annotated.map(x => x.error))
    if (fails instanceof RegExp) expect(verdict.failure).toMatch(fails)
    else expect(verdict.failure !== undefined).toBe(fails)
    expect(verdict.warnings).toHaveLength(warnings)
  })
})

const failOnIsNew = (r: Report): boolean =>
  r.inputs?.['fail-on'] === 'new' && !!r.inputs.issues && !r.inputs['dry-run']

describe('escalations', () => {
  it.each([
    {
      case: 'a swept flow with no failed window is quiet, not recovered',
      results: [],
      recoveries: [],
      quiet: [FLOW_B],
      failing: []
    },
    {
      case: 'a flow whose failed window recovered is recovered',
      results: [run(1, FLOW_A, { state: 'already-retriggered', adoptedStatus: 'success' })],
      recoveries: [FLOW_A],
      quiet: [FLOW_B],
      failing: []
    },
    {
      case: 'a flow with a window just re-triggered is failing (its issue is linked), not recovered',
      results: [run(1, FLOW_A, { state: 'retriggered', error: undefined })],
      recoveries: [],
      quiet: [FLOW_B],
      failing: [FLOW_A]
    }
  ])('$case', ({ results, recoveries, quiet, failing }) => {
    const work = escalations({
      results,
      sweptFlows: [{ flowId: FLOW_A }, { flowId: FLOW_B }].filter(
        f => f.flowId === FLOW_B || results.length > 0
      )
    })
    expect(work.recoveries.map(r => r.flowId)).toEqual(recoveries)
    expect(work.quiet.map(r => r.flowId)).toEqual(quiet)
    expect(work.failing).toEqual(failing)
  })
})

describe('groupByCause', () => {
  const cause = { code: 'MAPPER-3700-400', message: 'email is not a string' }
  it.each([
    { state: 'retries-exhausted', says: '1 retries exhausted (`max-retries`): not retried again' },
    { state: 'needs-fix', says: '1 not retried: `skip-errors` lists it as needing a fix' },
    { state: 'retriggered', says: '1 re-triggered' },
    { state: 'would-retrigger', says: '1 would be re-triggered' }
  ] as const)('says what was done to a $state run, never a guess', ({ state, says }) => {
    const [group] = groupByCause([run(1, FLOW_A, { state, previousCauses: [cause] })])
    expect(group.done).toEqual([says])
  })

  it('leaves out a window whose retry succeeded: it is recovered, not a cause', () => {
    const recovered = run(1, FLOW_A, {
      state: 'already-retriggered',
      adoptedStatus: 'success',
      previousCauses: [cause]
    })
    expect(groupByCause([recovered])).toEqual([])
  })
})
