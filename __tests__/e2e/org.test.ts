// Every sandbox of an organisation in one step (`sandbox: all`, a list, `!` exclusions), through
// the bundled action as a runner runs it, against the simulator serving several sandboxes behind
// one platform URL, the Actions cache stand-in (per-sandbox retry ledgers) and GitHub's stand-in.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CacheService } from '../../sim/cache-service.js'
import { GitHubStandIn } from '../../sim/github.js'
import { destinationFlow, failedRun, sourceFlow } from '../../sim/scenarios.js'
import { SANDBOX_LISTING, type Simulator } from '../../sim/simulator.js'
import { ledgerPrefix } from '../../src/ledger/store.js'
import { act, resultsOf, startSimulator, staticInputs, stopAll } from '../helpers/e2e.js'

let sim: Simulator
let cache: CacheService
let github: GitHubStandIn
let runnerTemp: string
let workflowRun = 500

beforeEach(async () => {
  ;[sim, cache, github] = await Promise.all([
    startSimulator(),
    new CacheService().start(),
    new GitHubStandIn().start()
  ])
  runnerTemp = mkdtempSync(join(tmpdir(), 'aep-org-'))
})
afterEach(async () => {
  await stopAll(sim, cache, github)
  rmSync(runnerTemp, { recursive: true, force: true })
})

function runner(): Record<string, string> {
  workflowRun++
  return {
    ...cache.env('v2'),
    RUNNER_TEMP: runnerTemp,
    GITHUB_RUN_ID: String(workflowRun),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'sweep',
    GITHUB_API_URL: github.url
  }
}

/**
 * An org: prod, dev-eu and dev-us active, each with a failed source run (prod and dev-eu's flows
 * both named "orders"); a sandbox being created and a deleted one, each with a failed source run
 * too; and a failed destination run in prod. Answers the failed source runs by sandbox.
 */
function org(): Record<string, string> {
  const failed: Record<string, string> = {}
  for (const [sandbox, name] of [
    ['prod', 'orders'],
    ['dev-eu', 'orders'],
    ['dev-us', 'crm'],
    ['new-sb', 'orders'],
    ['old-sb', 'orders']
  ])
    failed[sandbox] = failedRun(sim, { flowId: sourceFlow(sim, name, { sandbox }), sandbox })
  failedRun(sim, { flowId: destinationFlow(sim) })
  sim.addSandbox({ name: 'new-sb', state: 'creating' })
  sim.addSandbox({ name: 'old-sb', state: 'deleted' })
  return failed
}

const sweep = (sandbox: string, extra: Record<string, string> = {}, env = runner()) =>
  act(sim, staticInputs(sim, { sandbox, 'flow-id': 'all', 'skip-errors': 'none', ...extra }), {
    env
  })

/** The sandbox header of each re-trigger POST, by the run it went to. */
const posts = (): Record<string, string> =>
  Object.fromEntries(
    sim.requests
      .filter(r => r.route === 'retrigger')
      .map(r => [r.runId!, String(r.headers['x-sandbox-name'])])
  )
const sandboxesAsked = (): Set<string> =>
  new Set(
    sim.requests.flatMap(r =>
      r.headers['x-sandbox-name'] ? [String(r.headers['x-sandbox-name'])] : []
    )
  )

describe('sandbox: all', () => {
  it('re-triggers every failed window of every active sandbox once, each with its own header; a repeat sends nothing', async () => {
    const failed = org()
    const first = await sweep('all')
    expect(first.code).toBe(0)
    expect(posts()).toEqual({
      [failed.prod]: 'prod',
      [failed['dev-eu']]: 'dev-eu',
      [failed['dev-us']]: 'dev-us'
    })
    // Creating and deleted sandboxes are never asked anything; the destination run is untouched.
    expect([...sandboxesAsked()].sort()).toEqual(['dev-eu', 'dev-us', 'prod'])
    expect(
      resultsOf(first)
        .map(r => [r.sandbox, r['run-id'], r.state])
        .sort()
    ).toEqual(
      [
        ['dev-eu', failed['dev-eu'], 'retriggered'],
        ['dev-us', failed['dev-us'], 'retriggered'],
        ['prod', failed.prod, 'retriggered']
      ].sort()
    )
    expect(JSON.parse(first.outputs.sandboxes ?? 'null')).toEqual(['prod', 'dev-eu', 'dev-us'])
    // The summary groups by sandbox: one line each, and each run's row names its sandbox.
    expect(first.summary).toContain('### By sandbox (3)')
    expect(first.summary).toContain(`| \`dev-eu\` | \`${failed['dev-eu']}\` |`)
    expect(sim.requests.filter(r => r.route === 'listSandboxes')).toHaveLength(1)
    // One ledger entry per sandbox, under that sandbox's own key.
    const keys = cache.entries().map(e => e.key)
    for (const sandbox of ['prod', 'dev-eu', 'dev-us'])
      expect(
        keys.filter(k => k.startsWith(ledgerPrefix({ orgId: sim.orgId, sandbox })))
      ).toHaveLength(1)
    expect(keys).toHaveLength(3)

    // The retries fail again at once; the ledger, not luck, keeps the repeat from resending.
    sim.windows = false
    const before = Object.keys(posts()).length
    const second = await sweep('all')
    expect(second.code).toBe(0)
    expect(Object.keys(posts())).toHaveLength(before)
  })

  it('a list and `!` exclusions sweep what they say', async () => {
    const failed = org()
    const listed = await sweep('prod, dev-us')
    expect(listed.code).toBe(0)
    expect(posts()).toEqual({ [failed.prod]: 'prod', [failed['dev-us']]: 'dev-us' })
    expect(sim.requests.filter(r => r.route === 'listSandboxes')).toHaveLength(0)

    const excluded = await sweep('all\n!prod\n!dev-us')
    expect(excluded.code).toBe(0)
    expect(posts()).toEqual({
      [failed.prod]: 'prod',
      [failed['dev-us']]: 'dev-us',
      [failed['dev-eu']]: 'dev-eu'
    })
    expect(resultsOf(excluded).map(r => r.sandbox)).toEqual(['dev-eu'])
  })

  it('a sandbox answering 403 to everything does not stop the others, and fails the step naming it', async () => {
    const failed = org()
    sim.refuseSandbox('dev-eu')
    const run = await sweep('all')
    expect(run.code).not.toBe(0)
    expect(posts()).toEqual({ [failed.prod]: 'prod', [failed['dev-us']]: 'dev-us' })
    expect(run.errors.join('\n')).toMatch(/could not be swept.*sandbox dev-eu: .*403/s)
    expect(run.summary).toMatch(/\| `dev-eu` \| 0 \| 0 \| 0 \| \*\*not swept\*\*: .*403/)
    expect(JSON.parse(run.outputs.sandboxes)).toEqual(['prod', 'dev-eu', 'dev-us'])
  })

  it('exhausted windows of same-named flows in two sandboxes open two issues, each naming its sandbox', async () => {
    org()
    const run = await sweep('prod, dev-eu', {
      'skip-errors': 'CONNECTOR-1001-500',
      'issue-on-failure': 'true',
      'github-token': github.token
    })
    expect(run.code).not.toBe(0)
    expect(posts()).toEqual({})
    expect(github.issues).toHaveLength(2)
    const titles = github.issues.map(i => i.title)
    expect(titles).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/"orders" .* in sandbox dev-eu needs attention$/),
        expect.stringMatching(/"orders" .* in sandbox prod needs attention$/)
      ])
    )
    for (const issue of github.issues)
      expect(issue.body).toMatch(/<!-- aep-sandbox: (prod|dev-eu) -->/)

    // The next sweep finds each issue again: nothing new to say, no third issue.
    await sweep('prod, dev-eu', {
      'skip-errors': 'CONNECTOR-1001-500',
      'issue-on-failure': 'true',
      'github-token': github.token
    })
    expect(github.issues).toHaveLength(2)
  })

  it('an event for one sandbox retries there only, after the org check', async () => {
    const failed = org()
    const runId = failed['dev-us']
    const path = join(runnerTemp, 'event.json')
    const dispatch = (sandbox: string, orgId = sim.orgId) => {
      writeFileSync(
        path,
        JSON.stringify({
          action: 'aep-flow-run-failed',
          client_payload: { runId, sandbox, orgId }
        })
      )
      return act(
        sim,
        staticInputs(sim, { sandbox: 'all', 'run-id': runId, 'skip-errors': 'none' }),
        {
          env: { ...runner(), GITHUB_EVENT_NAME: 'repository_dispatch', GITHUB_EVENT_PATH: path }
        }
      )
    }
    const foreign = await dispatch('dev-us', '0000000000000000000000AA@AdobeOrg')
    expect(foreign.code).not.toBe(0)
    expect(foreign.errors.join('\n')).toMatch(/An event for another org/)
    expect(sim.requests.filter(r => r.route !== 'token')).toHaveLength(0)

    const run = await dispatch('dev-us')
    expect(run.code).toBe(0)
    expect(posts()).toEqual({ [runId]: 'dev-us' })
    expect([...sandboxesAsked()]).toEqual(['dev-us'])
    expect(sim.requests.filter(r => r.route === 'listSandboxes')).toHaveLength(0)
  })
})

describe('discovery', () => {
  it('pages the sandbox listing to its end', async () => {
    for (let i = 0; i < 120; i++)
      sim.addSandbox({ name: `dev-${i}`, state: i % 2 ? 'active' : 'deleted' })
    const run = await sweep('all', { 'dry-run': 'true' })
    expect(run.code).toBe(0)
    expect(sim.requests.filter(r => r.route === 'listSandboxes')).toHaveLength(3)
    const swept = JSON.parse(run.outputs.sandboxes)
    expect(swept).toHaveLength(61)
    expect(swept).toContain('dev-119')
  })

  it('stops a listing that never ends at its bound, sending nothing', async () => {
    const endless = JSON.stringify({
      sandboxes: [{ name: 'prod', state: 'active' }],
      _links: { next: { href: `${SANDBOX_LISTING}?limit=50&offset=0` } }
    })
    sim.fault(
      'listSandboxes',
      ...Array.from({ length: 150 }, () => ({ status: 200, body: endless }))
    )
    const run = await sweep('all')
    expect(run.code).not.toBe(0)
    expect(run.errors.join('\n')).toMatch(/more than 100 pages/)
    expect(sim.requests.filter(r => r.route === 'listSandboxes')).toHaveLength(100)
    expect(posts()).toEqual({})
  })
})
