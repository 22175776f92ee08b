/**
 * The time from a failure to its window being ingested, played in simulated time: one hourly
 * source flow, Adobe's failure events (each failure wakes the action a minute after it ends, as
 * the relay's `repository_dispatch` does) and the hourly sweep at :17, through the bundled action
 * run as a runner runs it. Used by the end-to-end tests of the retry policy and by the benchmark,
 * which plays the same scenarios on earlier revisions' dist/ side by side.
 */
import type { ActionRun } from './run-action.js'
import { SCHEDULER, type RunError, type Simulator } from './simulator.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE

export interface Scenario {
  name: string
  /** Which hourly slots (0 = 01:00) the scheduler's run fails, and with what. */
  failing: (slot: number) => RunError[] | undefined
  /** Whether a run that ends at `endsAt` (ms after midnight) fails: the source is down then. */
  down?: (endsAt: number) => boolean
  /** Retries fail with these, whenever they end (a retry only repeats the failure). */
  retriesFailWith?: RunError[]
  /** Hours played (from midnight). */
  hours: number
}

export const TRANSIENT: RunError[] = [
  { code: 'CONNECTOR-1001-500', message: 'Copy from source failed: the source did not answer' }
]
export const MAPPING: RunError[] = [
  { code: 'MAPPER-3700-400', message: 'Mapper transform error: field "email" is not a string' }
]

/** The three scenarios of the retry policy, as the issue states them. */
export const SCENARIOS: Scenario[] = [
  { name: 'one transient failure', failing: s => (s === 0 ? TRANSIENT : undefined), hours: 3 },
  {
    name: 'a two-hour source outage (01:00-03:00)',
    failing: s => (s <= 1 ? TRANSIENT : undefined),
    down: endsAt => endsAt < 3 * HOUR,
    hours: 6
  },
  // A retry only repeats a mapping error: every retry of its window fails with it, until a fix.
  {
    name: 'a mapping error',
    failing: s => (s === 0 ? MAPPING : undefined),
    retriesFailWith: MAPPING,
    hours: 3
  }
]

/** What became of one failed window. */
export interface WindowFate {
  runId: string
  failedAt: number
  /** When a run of its window succeeded, if one did. */
  ingestedAt?: number
  /** Re-triggers sent for the window, with when. */
  retries: number[]
}

export interface Played {
  windows: WindowFate[]
  /** Every action run: when, why (event or sweep) and what it came to. */
  steps: { at: number; woken: 'event' | 'sweep'; run: ActionRun }[]
  /** Run ids re-triggered more than once (never, if the action is right). */
  retriggeredTwice: string[]
  /** Times a window had two of its retries running at once (never, if the action is right). */
  overlapping: number
}

/** Runs the bundled action with these inputs at the simulated moment; the caller's runner. */
export type Act = (inputs: Record<string, string>) => Promise<ActionRun>

/**
 * Plays `scenario` on a fresh flow of `sim`, whose clock stands at midnight of a simulated day
 * (`t0`). `inputs` are the step's inputs for both wake-ups (credentials, sandbox, policy).
 */
export async function playRecovery(
  sim: Simulator,
  t0: number,
  scenario: Scenario,
  act: Act,
  inputs: Record<string, string>
): Promise<Played> {
  const flowId = sim.addFlow({ name: `recovery ${scenario.name}` })
  const durationMs = 5 * MINUTE
  const failingSlot = (slot: number): boolean =>
    !!scenario.failing(slot) || !!scenario.down?.(HOUR * (slot + 1) + durationMs)
  sim.schedule(flowId, {
    firstAt: t0 + HOUR,
    durationMs,
    until: t0 + scenario.hours * HOUR - 1,
    outcome: slot => (failingSlot(slot) ? 'failed' : 'success'),
    errors: slot => scenario.failing(slot) ?? TRANSIENT
  })
  const steps: Played['steps'] = []
  const events = new Map<string, number>() // failed run → when its event wakes the action
  const fired = new Set<string>()
  let overlapping = 0
  const runs = (): Record<string, unknown>[] => sim.runsOf(flowId)
  const statusOf = (r: Record<string, unknown>): string =>
    ((r.metrics as { statusSummary: { status: string } }).statusSummary.status ?? '').toString()
  const endOf = (r: Record<string, unknown>): number | undefined =>
    (r.metrics as { durationSummary: { completedAtUTC?: number } }).durationSummary.completedAtUTC

  const end = t0 + scenario.hours * HOUR
  for (let t = t0 + HOUR; t <= end; t += MINUTE) {
    sim.advanceTo(t)
    for (const r of runs())
      if (statusOf(r) === 'failed' && !events.has(r.id as string))
        events.set(r.id as string, (endOf(r) ?? t) + MINUTE)
    // Retries made from now on end as the source is at their end: failed while it is down.
    const endsAt = t - t0 + durationMs
    const retryFails = !!scenario.retriesFailWith || !!scenario.down?.(endsAt)
    sim.nextLifecycle = {
      durationMs,
      final: retryFails ? 'failed' : 'success',
      ...(retryFails ? { errors: scenario.retriesFailWith ?? TRANSIENT } : { records: 10 })
    }
    // The clock ticks on in real time while the action runs: an event is due once its minute came.
    const due = [...events].filter(([id, at]) => at <= t && !fired.has(id)).map(([id]) => id)
    for (const runId of due) fired.add(runId)
    for (const runId of due)
      steps.push({
        at: t,
        woken: 'event',
        run: await act({ ...inputs, 'run-id': runId, 'flow-id': 'all' })
      })
    if ((t - t0) % HOUR === 17 * MINUTE)
      steps.push({ at: t, woken: 'sweep', run: await act({ ...inputs, 'flow-id': 'all' }) })
    const running = runs().filter(
      r => r.createdClient !== SCHEDULER && statusOf(r) === 'inProgress'
    )
    const windowsRunning = running.map(r => JSON.stringify(sim.windowOf(r.id as string)))
    overlapping += windowsRunning.length - new Set(windowsRunning).size
  }

  const all = runs()
  const targets = sim.retriggerTargets()
  const windows: WindowFate[] = all
    .filter(r => r.createdClient === SCHEDULER && statusOf(r) === 'failed')
    .map(failed => {
      const window = JSON.stringify(sim.windowOf(failed.id as string))
      const sameWindow = all.filter(r => JSON.stringify(sim.windowOf(r.id as string)) === window)
      const ingested = sameWindow
        .filter(r => statusOf(r) === 'success')
        .map(r => endOf(r) ?? Infinity)
      const retries = sameWindow
        .filter(r => r.createdClient !== SCHEDULER)
        .map(r => r.createdAt as number)
        .sort((a, b) => a - b)
      return {
        runId: failed.id as string,
        failedAt: endOf(failed) ?? (failed.createdAt as number),
        ...(ingested.length ? { ingestedAt: Math.min(...ingested) } : {}),
        retries
      }
    })
    .sort((a, b) => a.failedAt - b.failedAt)
  return {
    windows,
    steps,
    retriggeredTwice: [...new Set(targets.filter((id, i) => targets.indexOf(id) !== i))],
    overlapping
  }
}

/** Median and worst minutes from failure to ingestion, and the windows never ingested. */
export function recoveryFigures(played: Played): {
  medianMinutes?: number
  worstMinutes?: number
  lost: number
} {
  const minutes = played.windows
    .flatMap(w => (w.ingestedAt === undefined ? [] : [(w.ingestedAt - w.failedAt) / MINUTE]))
    .sort((a, b) => a - b)
  return {
    ...(minutes.length
      ? {
          medianMinutes: minutes[Math.floor((minutes.length - 1) / 2)],
          worstMinutes: minutes.at(-1)
        }
      : {}),
    lost: played.windows.filter(w => w.ingestedAt === undefined).length
  }
}
