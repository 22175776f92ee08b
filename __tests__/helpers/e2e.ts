import { expect } from '@jest/globals'
import { Simulator, type SimulatorOptions } from '../../sim/simulator.js'
import { runAction, type ActionRun, type RunOptions } from '../../sim/run-action.js'

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

/** Every secret the run could have seen: given ones and every token IMS issued. */
export function secretsOf(sim: Simulator): string[] {
  return [STATIC_TOKEN, sim.clientSecret, ...sim.issuedTokens]
}

/** A secret may appear only on `::add-mask::` lines, nowhere else: not in logs, summary or outputs. */
export function expectNoSecrets(run: ActionRun, secrets: string[]): void {
  const stdout = run.stdout
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  const places = {
    stdout,
    stderr: run.stderr,
    summary: run.summary,
    outputs: JSON.stringify(run.outputs)
  }
  for (const secret of secrets) {
    for (const [place, text] of Object.entries(places)) {
      if (text.includes(secret)) throw new Error(`secret ${secret.slice(0, 6)}… leaked in ${place}`)
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
