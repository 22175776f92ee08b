// A restored retry ledger is a claim, not a fact: anyone who can run a workflow in the repository
// can write the Actions cache under its key. Forged, unsigned or future-dated entries planted in
// the cache stand-in never cost a duplicate re-trigger or a missed window; even a validly signed
// entry is used only where it agrees with what Adobe lists. The bundled action, as a runner runs it.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CacheService } from '../../sim/cache-service.js'
import { addRetry, failedRun, HOUR, MINUTE, sourceFlow, startOfHour } from '../../sim/scenarios.js'
import type { Simulator } from '../../sim/simulator.js'
import { ledgerKey, signEntry, type LedgerEntry } from '../../src/ledger/ledger.js'
import {
  act,
  resultsOf,
  STATIC_TOKEN,
  startSimulator,
  staticInputs,
  stopAll
} from '../helpers/e2e.js'
import { plantLedger } from '../helpers/ledger-cache.js'

let sim: Simulator
let cache: CacheService
let runnerTemp: string
let workflowRun = 500

beforeEach(async () => {
  cache = await new CacheService().start()
  runnerTemp = mkdtempSync(join(tmpdir(), 'aep-runner-'))
})
afterEach(async () => {
  await stopAll(sim, cache)
  rmSync(runnerTemp, { recursive: true, force: true })
})

function runner(): Record<string, string> {
  workflowRun++
  return {
    ...cache.env('v2'),
    RUNNER_TEMP: runnerTemp,
    GITHUB_RUN_ID: String(workflowRun),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'sweep'
  }
}
const scope = () => ({ orgId: sim.orgId, sandbox: 'prod' })
const ledgerText = (version: number, entries: LedgerEntry[]) => JSON.stringify({ version, entries })

/**
 * One flow: F1 (01:00) failed and is being retried by R1, ours, still running (made after F2
 * failed); F2 (02:00) failed and was never retried. The right decision: send F2, nothing for F1.
 */
async function r1RetriesF1() {
  sim = await startSimulator()
  const flowId = sourceFlow(sim, 'orders')
  const top = startOfHour(sim.now())
  const f1 = failedRun(sim, { flowId, at: top - 2 * HOUR })
  const f2 = failedRun(sim, { flowId, at: top - HOUR })
  const r1 = addRetry(sim, f1, { at: top - HOUR + 20 * MINUTE, durationMs: 10 * HOUR })
  /** The forged claim: R1 retried F2. */
  const claim: LedgerEntry = { sandbox: 'prod', flowId, retried: f2, newRun: r1, at: Date.now() }
  return { flowId, f1, f2, r1, claim }
}

describe('a forged ledger entry claiming our running retry R1 (of F1) retried F2', () => {
  it.each([
    ['unsigned, in the old format', 1, false],
    ['with a signature that is not ours', 2, 'forged'],
    ['validly signed (the key leaked), yet against what Adobe lists', 2, true]
  ] as const)('%s: F2 is retried, F1 is not sent again', async (_, version, signed) => {
    const { f1, f2, r1, claim } = await r1RetriesF1()
    const key = ledgerKey(signed === 'forged' ? 'another-secret' : STATIC_TOKEN, scope())
    const entry = signed ? signEntry(claim, key) : claim
    await plantLedger(cache, runnerTemp, scope(), ledgerText(version, [entry]))

    const sweep = await act(sim, staticInputs(sim, { 'flow-id': 'all' }), { env: runner() })
    expect(sweep.code).toBe(0)
    expect(sim.retriggerTargets()).toEqual([f2])
    const warned = sweep.warnings.join('\n')
    if (signed === true)
      expect(warned).toMatch(
        new RegExp(
          `retry ledger says run ${r1} re-triggered run ${f2}, but Adobe reports different copy-activity windows`
        )
      )
    else expect(warned).toMatch(/holds 1 entry without a valid signature/)

    // A re-run naming F1 adopts R1: nothing sent.
    const named = await act(sim, staticInputs(sim, { 'run-id': f1 }), { env: runner() })
    expect(named.code).toBe(0)
    expect(resultsOf(named)[0]).toMatchObject({ state: 'already-retriggered', 'new-run-id': r1 })
    expect(sim.retriggerTargets()).toEqual([f2])
  })
})

describe('entries dated a year ahead', () => {
  it.each([
    ['unsigned, in the old format', 1, /holds 20000 entries without a valid signature/],
    ['validly signed (the key leaked)', 2, /holds 20000 entries dated more than 10 minutes ahead/]
  ] as const)(
    "20,000 of them (%s) do not crowd this step's own entries out: the next sweep sends nothing",
    async (_, version, warning) => {
      // No windows reported, two failures: only the ledger can tell the next sweep what was retried.
      sim = await startSimulator({ windows: false })
      const flowId = sourceFlow(sim, 'orders')
      const top = startOfHour(sim.now())
      const failures = [
        failedRun(sim, { flowId, at: top - 2 * HOUR }),
        failedRun(sim, { flowId, at: top - HOUR })
      ]
      sim.nextLifecycle = { inProgressReads: Infinity, final: 'success' }
      const yearAhead = Date.now() + 365 * 24 * HOUR
      const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
      const key = ledgerKey(STATIC_TOKEN, scope())
      const flood = Array.from({ length: 20_000 }, (_, i) => {
        const entry = {
          sandbox: 'prod',
          flowId,
          retried: id(i + 1),
          newRun: id(100_000 + i),
          at: yearAhead
        }
        return version === 2 ? signEntry(entry, key) : entry
      })
      await plantLedger(cache, runnerTemp, scope(), ledgerText(version, flood))

      const inputs = staticInputs(sim, { 'flow-id': 'all' })
      const first = await act(sim, inputs, { env: runner(), timeoutMs: 60_000 })
      expect(first.code).toBe(0)
      expect([...sim.retriggerTargets()].sort()).toEqual([...failures].sort())

      const again = await act(sim, inputs, { env: runner(), timeoutMs: 60_000 })
      expect(again.code).toBe(0)
      expect(sim.retriggerTargets()).toHaveLength(2)
      expect(resultsOf(again).map(r => r.state)).toEqual([
        'already-retriggered',
        'already-retriggered'
      ])
      // The planted entries were read, and refused.
      expect(first.warnings.join('\n')).toMatch(warning)
    },
    90_000
  )
})
