// The retry policy through the bundle, in simulated time, with Adobe's failure events (each
// failure wakes the action a minute after it ends) and the hourly sweep together (sim/recovery.ts):
// an outage is outlasted with the default `retry-backoff` and exhausts its windows without one;
// a mapping error is handed to a person at once and never retried unless the user says so.
import { afterEach, describe, expect, it } from '@jest/globals'
import { GitHubStandIn } from '../../sim/github.js'
import { playRecovery, recoveryFigures, SCENARIOS, type Played } from '../../sim/recovery.js'
import { HOUR, MINUTE } from '../../sim/scenarios.js'
import type { Simulator } from '../../sim/simulator.js'
import { act, resultsOf, startSimulator, staticInputs, stopAll } from '../helpers/e2e.js'

let sim: Simulator
let github: GitHubStandIn | undefined
afterEach(async () => {
  await stopAll(sim, ...(github ? [github] : []))
  github = undefined
})

const [TRANSIENT, OUTAGE, MAPPING] = SCENARIOS

/** Plays a scenario from midnight of a simulated day some hours before real now. */
async function play(
  scenario: (typeof SCENARIOS)[number],
  inputs: Record<string, string> = {},
  env: Record<string, string> = {}
): Promise<Played> {
  sim = await startSimulator()
  const t0 = Math.floor(Date.now() / HOUR) * HOUR - 10 * HOUR
  sim.setNow(t0)
  return playRecovery(sim, t0, scenario, step => act(sim, step, { env }), staticInputs(sim, inputs))
}

const minutes = (ms: number): number => ms / MINUTE

describe('retry-backoff: retries outlast an outage', () => {
  it('one transient failure is retried within a minute of its event and ingested', async () => {
    const played = await play(TRANSIENT)
    expect(played.windows).toHaveLength(1)
    const [w] = played.windows
    // Its event comes the minute after it failed; the retry is sent by that run.
    const event = played.steps.find(step => step.woken === 'event')!
    expect(minutes(event.at - w.failedAt)).toBeLessThanOrEqual(2)
    expect(minutes(w.retries[0] - event.at)).toBeLessThan(1)
    expect(recoveryFigures(played)).toMatchObject({ lost: 0 })
    expect(played.retriggeredTwice).toEqual([])
  })

  it('a two-hour outage: with the default back-off every window is ingested, none exhausted, retries spaced', async () => {
    const played = await play(OUTAGE)
    expect(played.windows).toHaveLength(2)
    expect(recoveryFigures(played).lost).toBe(0)
    expect(played.retriggeredTwice).toEqual([])
    expect(played.overlapping).toBe(0)
    for (const w of played.windows) {
      expect(w.retries.length).toBeLessThanOrEqual(3)
      // The schedule: each retry after the first waits 15m, then 30m, after the previous one ended (5 min runs).
      w.retries.slice(1).forEach((at, i) => {
        expect(minutes(at - w.retries[i])).toBeGreaterThanOrEqual(5 + 15 * 2 ** i)
      })
    }
    const steps = played.steps.map(s => s.run)
    expect(steps.every(run => run.code === 0)).toBe(true)
    expect(steps.flatMap(run => resultsOf(run)).some(r => r.state === 'retries-exhausted')).toBe(
      false
    )
  })

  it('an event during a wait sends nothing, exits 0 and says when the next retry is due', async () => {
    const played = await play(OUTAGE)
    const waiting = played.steps.find(
      s => s.woken === 'event' && resultsOf(s.run).some(r => r.state === 'waiting')
    )!
    expect(waiting).toBeDefined()
    expect(waiting.run.code).toBe(0)
    const [row] = resultsOf(waiting.run).filter(r => r.state === 'waiting')
    expect(Date.parse(row['next-retry-at'])).toBeGreaterThan(waiting.at)
    expect(waiting.run.stdout).toContain('the next one is due at')
    expect(waiting.run.summary).toContain('waiting: its retry')
    expect(waiting.run.outputs['run-ids']).toBe('[]')
    // One window, one row, named by its original failure, though the event named the failed retry.
    expect(resultsOf(waiting.run).map(r => r['run-id'])).toEqual(
      expect.arrayContaining([played.windows[0].runId])
    )
    expect(new Set(resultsOf(waiting.run).map(r => r['run-id'])).size).toBe(
      resultsOf(waiting.run).length
    )
  })

  it('the same outage with retry-backoff: 0 spends every retry within minutes and loses the windows', async () => {
    const played = await play(OUTAGE, { 'retry-backoff': '0' })
    expect(recoveryFigures(played).lost).toBe(2)
    expect(played.retriggeredTwice).toEqual([])
    const exhausted = played.steps
      .flatMap(s => resultsOf(s.run))
      .filter(r => r.state === 'retries-exhausted')
    expect(exhausted.length).toBeGreaterThan(0)
  })
})

describe("skip-errors' default: a mapping error goes to a person, not to a retry", () => {
  it('is escalated within a minute of its event and never re-triggered', async () => {
    github = await new GitHubStandIn().start()
    const played = await play(
      MAPPING,
      { 'issue-on-failure': 'true', 'github-token': github.token },
      { GITHUB_API_URL: github.url }
    )
    expect(played.windows[0].retries).toEqual([])
    const first = played.steps[0]
    expect(first.woken).toBe('event')
    expect(minutes(first.at - played.windows[0].failedAt)).toBeLessThanOrEqual(1)
    expect(resultsOf(first.run)[0].state).toBe('needs-fix')
    expect(github.issues).toHaveLength(1)
    expect(github.issues[0].body).toContain('MAPPER-3700-400')
    expect(sim.retriggerTargets()).toEqual([])
  })

  it('is retried when the user says so (skip-errors: none)', async () => {
    const played = await play(MAPPING, { 'skip-errors': 'none' })
    expect(played.windows[0].retries.length).toBeGreaterThan(0)
  })
})
