/**
 * `npm run sim [-- --port 8080]`: the simulator as a standalone server, for trying the action by
 * hand (`node dist/index.js`, `npx @github/local-action`). Seeds one failed run and prints the
 * INPUT_ variables that point the action at it. Stops on Ctrl-C.
 */
import { Simulator } from './simulator.js'

const portArg = process.argv.indexOf('--port')
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0
const token = 'local-static-token'
const sim = new Simulator({ staticTokens: [token] })
const url = await sim.start(port)
const runId = sim.addRun({
  status: 'failed',
  errors: [{ code: 'CONNECTOR-2001-500', message: 'Source file could not be read' }]
})

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
`)
const stop = (): void => void sim.stop().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
