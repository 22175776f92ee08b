/**
 * `npm run sim [-- --port 8080]`: the simulator as a standalone server, for trying the action by
 * hand (`node dist/index.js`, `npx @github/local-action`). Seeds one failed run and prints the
 * INPUT_ variables that point the action at it, and a small sandbox to sweep with
 * `INPUT_FLOW-ID=all` (see `sweepableSandbox`). Stops on Ctrl-C.
 */
import { failedRun, HOUR, sourceFlow, startOfHour, sweepableSandbox } from './scenarios.js'
import { Simulator } from './simulator.js'

const portArg = process.argv.indexOf('--port')
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0
const token = 'local-static-token'
const sim = new Simulator({ staticTokens: [token] })
const url = await sim.start(port)
const runId = failedRun(sim, {
  flowId: sourceFlow(sim, 'sftp-orders'),
  at: sim.now() - 60_000,
  errors: [{ code: 'CONNECTOR-2001-500', message: 'Source file could not be read' }]
})
const seeded = sweepableSandbox(sim)
// The healthy flow keeps running hourly while the simulator does.
sim.schedule(seeded.healthy.flowId, { firstAt: startOfHour(sim.now()) + HOUR })
// A second sandbox for `INPUT_SANDBOX=all`: a failed run of a flow named as one of prod's, and a
// sandbox still being created that `all` leaves alone.
const devRunId = failedRun(sim, {
  flowId: sourceFlow(sim, 'crm-accounts', { sandbox: 'dev-eu' }),
  sandbox: 'dev-eu',
  at: startOfHour(sim.now()) - 5 * 60_000,
  errors: [{ code: 'CONNECTOR-2001-500', message: 'Source file could not be read' }]
})
sim.addSandbox({ name: 'dev-scratch', state: 'creating' })

console.log(`Flow Service + IMS simulator on ${url}
Seeded failed run ${runId}. Point the action at it with:

INPUT_RUN-ID=${runId}
INPUT_SANDBOX=prod
INPUT_ORG-ID=${sim.orgId}
INPUT_CLIENT-ID=${sim.apiKey}
INPUT_CLIENT-SECRET=${sim.clientSecret}
INPUT_PLATFORM-URL=${url}
INPUT_IMS-URL=${url}
# or, instead of the client credentials: INPUT_ACCESS-TOKEN=${token} and INPUT_API-KEY=${sim.apiKey}
# or sweep the whole sandbox: INPUT_FLOW-ID=all instead of INPUT_RUN-ID. It holds:
#   crm-accounts ${seeded.missedWindow.flowId}: run ${seeded.missedWindow.failedRunId} failed, the next one succeeded
#   crm-contacts ${seeded.failedRetry.flowId}: run ${seeded.failedRetry.failedRunId} failed, and so did our retry ${seeded.failedRetry.retryId}
#   Amazon S3 export ${seeded.destination.flowId} (a destination): run ${seeded.destination.failedRunId} failed; never to be re-triggered
#   web-events ${seeded.healthy.flowId}: healthy, runs hourly
# or every active sandbox of the org: INPUT_SANDBOX=all with INPUT_FLOW-ID=all (then \`!name\` lines
# exclude one). Sandbox dev-eu holds crm-accounts too: run ${devRunId} failed; dev-scratch is
# being created and is left alone.
`)
const stop = (): void => void sim.stop().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
