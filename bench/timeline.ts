/**
 * `npx tsx bench/timeline.ts [--no-cache]`: where the sandbox sweep's wall time goes. Runs the
 * bench's sandbox sweep once (1,000 source flows, 100 failed windows over 40 flows, 50 ms
 * latency, concurrency 4) and prints when the first and last request reached the simulator,
 * relative to the process start, and what the step spent after its last request.
 */
import { CacheService } from '../sim/cache-service.js'
import { runAction } from '../sim/run-action.js'
import { seedSandbox } from '../sim/scenarios.js'
import { Simulator } from '../sim/simulator.js'

const cache = !process.argv.includes('--no-cache')
const sim = new Simulator({ latencyMs: 50, staticTokens: ['bench-static-token-0123456789'] })
await sim.start()
const cacheService = await new CacheService().start()
seedSandbox(sim, 1000)
const before = sim.requests.length
const started = Date.now()
const run = await runAction(
  {
    sandbox: 'prod',
    'org-id': sim.orgId,
    'platform-url': sim.url,
    'ims-url': sim.url,
    'access-token': 'bench-static-token-0123456789',
    'api-key': sim.apiKey,
    'flow-id': 'all',
    'max-runs': '0',
    concurrency: '4'
  },
  { env: cache ? cacheService.env('v2') : {} }
)
const ended = Date.now()
if (run.code !== 0) console.log(run.stdout.slice(-2000))
const requests = sim.requests.slice(before).filter(r => r.route)
const at = (ms: number): string => `${ms - started} ms`
const posts = requests.filter(r => r.method === 'POST')
const cacheCalls = cacheService.requests.map(r => `${r.kind ?? r.method} ${at(r.at)}`)
console.log(
  [
    `exit ${run.code}; ${requests.length} requests; wall ${ended - started} ms`,
    `first request ${at(requests[0].at)}; first re-trigger ${at(posts[0].at)}; last re-trigger ${at(posts.at(-1)!.at)} (+50 ms latency)`,
    `after the last answer: ${ended - posts.at(-1)!.at - 50} ms`,
    `cache calls: ${cacheCalls.join(', ') || 'none'}`,
    ...run.stdout.split('\n').filter(l => /retry ledger/i.test(l))
  ].join('\n')
)
await cacheService.stop()
await sim.stop()
