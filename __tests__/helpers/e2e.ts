import { expect } from '@jest/globals'
import { GitHubStandIn } from '../../sim/github.js'
import { Simulator, type SimulatorOptions } from '../../sim/simulator.js'
import { runAction, type ActionRun, type RunOptions } from '../../sim/run-action.js'
import { leakedForms } from './hostile.js'

export const STATIC_TOKEN = 'static-token-5f0c2e9a8b7d4c3e2f1a0b9c8d7e6f5a'

/** A fresh simulator per test, with a static token it accepts. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = new Simulator({ staticTokens: [STATIC_TOKEN], ...options })
  await sim.start()
  return sim
}

/** The inputs every run needs, pointed at the simulator, with short timings for tests. */
export function baseInputs(sim: Simulator): Record<string, string> {
  return {
    sandbox: 'prod',
    'org-id': sim.orgId,
    'platform-url': sim.url,
    'ims-url': sim.url,
    'request-timeout': '2s',
    'settle-time': '300ms'
  }
}

export const oauth = (sim: Simulator): Record<string, string> => ({
  'client-id': sim.apiKey,
  'client-secret': sim.clientSecret
})
export const staticToken = (sim: Simulator): Record<string, string> => ({
  'access-token': STATIC_TOKEN,
  'api-key': sim.apiKey
})

/** A step's inputs with the static token: `baseInputs`, `staticToken`, then `extra`. */
export function staticInputs(
  sim: Simulator,
  extra: Record<string, string> = {}
): Record<string, string> {
  return { ...baseInputs(sim), ...staticToken(sim), ...extra }
}

/** A step's inputs with OAuth Server-to-Server credentials: `baseInputs`, `oauth`, then `extra`. */
export function oauthInputs(
  sim: Simulator,
  extra: Record<string, string> = {}
): Record<string, string> {
  return { ...baseInputs(sim), ...oauth(sim), ...extra }
}

/** Wait for the new runs, polling every `pollInterval`; `wait-timeout` only when given. */
export function waitInputs(pollInterval = '100ms', waitTimeout?: string): Record<string, string> {
  return {
    wait: 'true',
    'poll-interval': pollInterval,
    ...(waitTimeout === undefined ? {} : { 'wait-timeout': waitTimeout })
  }
}

/** The `results` output: one row per run, read loosely (what `JSON.parse` gives). */
export function resultsOf(run: ActionRun): ReturnType<typeof JSON.parse>[] {
  return JSON.parse(run.outputs.results)
}

/**
 * What a run shows a reader, by place: its log without the `::add-mask::` lines (the one place a
 * secret may stand), stderr, the job summary and the outputs.
 */
export function shownText(
  run: ActionRun
): Record<'stdout' | 'stderr' | 'summary' | 'outputs', string> {
  return {
    stdout: run.stdout
      .split('\n')
      .filter(line => !line.startsWith('::add-mask::'))
      .join('\n'),
    stderr: run.stderr,
    summary: run.summary,
    outputs: JSON.stringify(run.outputs)
  }
}

/** The simulator and GitHub's stand-in, both started: the set-up of escalation's tests. */
export async function startSimulatorAndGitHub(): Promise<{
  sim: Simulator
  github: GitHubStandIn
}> {
  const [sim, github] = await Promise.all([startSimulator(), new GitHubStandIn().start()])
  return { sim, github }
}

/** Stops every server a test started, each of them even when another fails to stop. */
export async function stopAll(...servers: { stop(): Promise<void> }[]): Promise<void> {
  const stopped = await Promise.allSettled(servers.map(async server => server.stop()))
  const failed = stopped.find(result => result.status === 'rejected')
  if (failed) throw failed.reason
}

/** Every secret the run could have seen: given ones and every token IMS issued. */
export function secretsOf(sim: Simulator): string[] {
  return [STATIC_TOKEN, sim.clientSecret, ...sim.issuedTokens]
}

/**
 * A secret may appear only on `::add-mask::` lines, nowhere else: not in logs, summary, outputs
 * (or `more` places, an issue's text), in no form either (`leakedForms`: encoded, base64, pieces).
 */
export function expectNoSecrets(
  run: ActionRun,
  secrets: string[],
  more: Record<string, string> = {}
): void {
  const places = { ...shownText(run), ...more }
  for (const secret of secrets) {
    for (const form of leakedForms(secret)) {
      for (const [place, text] of Object.entries(places)) {
        if (text.includes(form))
          throw new Error(`secret ${secret.slice(0, 6)}… leaked in ${place} as ${form}`)
      }
    }
  }
}

/** Runs the bundled action and checks, for every scenario, that no secret leaked. */
export async function act(
  sim: Simulator,
  inputs: Record<string, string>,
  options?: RunOptions
): Promise<ActionRun> {
  const run = await runAction(inputs, options)
  expectNoSecrets(run, secretsOf(sim))
  expect(run.stderr).not.toMatch(/at .+\.js:\d+/) // never a stack trace
  return run
}
