/**
 * `npm run demo`: starts the simulator, seeds a failed run, and runs the bundled action against
 * it exactly as a runner would (OAuth credentials, pre-check, re-trigger, wait), then prints the
 * action's log, its outputs and its job summary. Then it sweeps a seeded sandbox (`flow-id: all`)
 * twice: the first sweep finds the failed window a later success hides, retries a failed retry
 * and leaves the destination flow alone; the second, a repeat, sends nothing.
 */
import { sweepableSandbox } from '../sim/scenarios.js'
import { Simulator } from '../sim/simulator.js'
import { runAction } from '../sim/run-action.js'

const sim = new Simulator()
const url = await sim.start()
const flowId = '3d17a4ff-9e0a-4f7c-94bb-bc0b61a3a76d'
const runId = sim.addRun({
  flowId,
  status: 'failed',
  errors: [
    {
      code: 'CONNECTOR-2001-500',
      message: 'Source file could not be read: connection to SFTP server timed out'
    }
  ]
})
sim.nextLifecycle = { inProgressReads: 2, final: 'success', records: 1280 }

console.log(`Simulator (Flow Service + IMS) on ${url}; failed run ${runId} of flow ${flowId}\n`)
const result = await runAction({
  'run-id': runId,
  sandbox: 'prod',
  'org-id': sim.orgId,
  'client-id': sim.apiKey,
  'client-secret': sim.clientSecret,
  'platform-url': url,
  'ims-url': url,
  wait: 'true',
  'poll-interval': '500ms',
  'wait-timeout': '1m'
})

const line = '─'.repeat(72)
console.log(
  `${line}\nThe action's log (what the runner shows)\n${line}\n${result.stdout}${result.stderr}`
)
console.log(`${line}\nOutputs (GITHUB_OUTPUT)\n${line}`)
for (const [name, value] of Object.entries(result.outputs)) console.log(`${name} = ${value}`)
console.log(`\n${line}\nJob summary (GITHUB_STEP_SUMMARY)\n${line}\n${result.summary}`)
console.log(
  `${line}\nExit code ${result.code} in ${Math.round(result.durationMs)} ms; ${sim.requests.length} requests reached the simulator.`
)

// A sandbox sweep, twice: what an hourly schedule does, and what a re-run of it does.
const seeded = sweepableSandbox(sim)
sim.nextLifecycle = { inProgressReads: 1, final: 'success', records: 310 }
const sweepInputs = {
  'flow-id': 'all',
  sandbox: 'prod',
  'org-id': sim.orgId,
  'client-id': sim.apiKey,
  'client-secret': sim.clientSecret,
  'platform-url': url,
  'ims-url': url
}
const posts = (): number => sim.requests.filter(r => r.route === 'retrigger').length
const before = posts()
const sweep = await runAction(sweepInputs)
const afterFirst = posts()
const again = await runAction(sweepInputs)
await sim.stop()
console.log(
  `${line}\nA sandbox sweep (flow-id: all): the job summary\n${line}\n${sweep.summary}\n` +
    `The sweep re-triggered ${afterFirst - before} run(s): the failed window of crm-accounts (run ${seeded.missedWindow.failedRunId}) that its next run's success hides. ` +
    `crm-contacts' retry failed with MAPPER-3700-400, a mapping error a retry only repeats (\`skip-errors\`' default): it is handed to a person instead, so the step fails (exit ${sweep.code}) until someone fixes the mapping; the destination flow's failure was left alone. ` +
    `The same sweep again re-triggered ${posts() - afterFirst} (exit ${again.code}).`
)
// What the demo shows: the single run re-triggered; the sweep re-triggers the hidden window only,
// hands the mapping error to a person (a failed step, as it should be) and repeats nothing.
const needsFix = (run: typeof sweep): boolean =>
  (JSON.parse(run.outputs.results ?? '[]') as { state: string }[]).some(
    r => r.state === 'needs-fix'
  )
process.exitCode =
  result.code === 0 &&
  afterFirst - before === 1 &&
  sweep.code === 1 &&
  needsFix(sweep) &&
  again.code === 1 &&
  posts() === afterFirst
    ? 0
    : 1
