// Escalation through GitHub: one issue per failing flow, commented while it fails, closed when it
// recovers. The bundled action against the Flow Service simulator and a GitHub API stand-in.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { GitHubStandIn } from '../../sim/github.js'
import { addRetry, failure, MINUTE } from '../../sim/scenarios.js'
import type { Lifecycle, Simulator } from '../../sim/simulator.js'
import {
  act,
  oauth,
  secretsOf,
  shownText,
  startSimulatorAndGitHub,
  staticInputs,
  stopAll,
  waitInputs
} from '../helpers/e2e.js'

let sim: Simulator
let github: GitHubStandIn
beforeEach(async () => ({ sim, github } = await startSimulatorAndGitHub()))
afterEach(() => stopAll(sim, github))

const CODE = 'CONNECTOR-2001-500'
const timedOut = [{ code: CODE, message: 'SFTP timed out' }]
/** Retries that fail again at their first read, with the same error. */
const failing: Lifecycle = { inProgressReads: 0, final: 'failed', errors: timedOut }
const env = () => ({ GITHUB_API_URL: github.url })
const escalating = (runOrFlow: Record<string, string>) =>
  staticInputs(sim, {
    ...runOrFlow,
    ...waitInputs(),
    'issue-on-failure': 'true',
    'github-token': github.token,
    // Runs follow each other at once: the spacing of retries is retry-policy.test's subject.
    'retry-backoff': '0'
  })

describe('issue-on-failure', () => {
  it('a waited retry that fails opens exactly one issue; failing again comments; a successful retry closes it', async () => {
    const { runId, flowId } = failure(sim, {
      flowName: 'crm-accounts',
      errors: timedOut,
      retries: failing
    })

    const first = await act(sim, escalating({ 'run-id': runId }), { env: env() })
    expect(first.code).toBe(1)
    expect(github.issues).toHaveLength(1)
    const [issue] = github.issues
    expect(issue.labels).toEqual(['aep-dataflow'])
    expect(issue.body).toContain(`<!-- aep-flow: ${flowId} -->`)
    expect(issue.body).toContain(first.outputs['new-run-id'])
    expect(issue.body).toContain(CODE)
    expect(issue.body).toContain('https://github.com/acme/ingestion/actions/runs/1234567890')
    expect(issue.title).toContain(flowId)
    expect(first.summary).toMatch(
      /\[#1\]\(https:\/\/github.com\/acme\/ingestion\/issues\/1\) opened/
    )

    // The same flow fails again (the retry of the retry): a comment, no second issue.
    const second = await act(sim, escalating({ 'run-id': runId }), { env: env() })
    expect(second.code).toBe(1)
    expect(github.issues).toHaveLength(1)
    expect(github.issues[0].comments).toHaveLength(1)
    expect(github.issues[0].comments[0]).toContain(second.outputs['new-run-id'])

    // Its next retry succeeds: the issue is closed as completed.
    sim.nextLifecycle = { inProgressReads: 0, final: 'success', records: 12 }
    const third = await act(sim, escalating({ 'run-id': runId }), { env: env() })
    expect(third.code).toBe(0)
    expect(github.issues[0]).toMatchObject({ state: 'closed', state_reason: 'completed' })
    expect(github.issues[0].comments.at(-1)).toContain(third.outputs['new-run-id'])
    // One list call per step, however many flows.
    expect(github.requests.filter(r => r.method === 'GET')).toHaveLength(3)
  })

  it('with the input off, GitHub receives no request at all', async () => {
    const { runId } = failure(sim, { retries: failing })
    const run = await act(
      sim,
      { ...escalating({ 'run-id': runId }), 'issue-on-failure': 'false' },
      { env: env() }
    )
    expect(run.code).toBe(1)
    expect(github.requests).toHaveLength(0)
  })

  it('GitHub answering 403 leaves the exit code as it would be, and warns naming issues: write', async () => {
    const { runId, flowId } = failure(sim, {
      retries: { inProgressReads: 0, final: 'success', records: 1 }
    })
    // A recovery to report: an open issue the stand-in refuses to show.
    github.refuse = { status: 403, message: 'Resource not accessible by integration' }
    const run = await act(sim, escalating({ 'run-id': runId }), { env: env() })
    expect(run.code).toBe(0)
    expect(run.warnings.join('\n')).toMatch(/add `permissions: issues: write`/)
    expect(run.warnings.join('\n')).toContain(flowId)

    const failed = await act(
      sim,
      escalating({ 'run-id': failure(sim, { retries: failing }).runId }),
      { env: env() }
    )
    expect(failed.code).toBe(1)
    expect(failed.warnings.join('\n')).toMatch(/issues: write.*Not done: an issue for flow/s)
    expect(failed.stderr).toBe('')
  })

  it('a flow whose retries are exhausted in a sweep gets an issue and no re-trigger', async () => {
    const { runId } = failure(sim, { flowName: 'web-events', createdAt: Date.now() - MINUTE })
    for (const ago of [30_000, 20_000, 10_000])
      addRetry(sim, runId, { status: 'failed', at: Date.now() - ago })
    const run = await act(
      sim,
      { ...escalating({ 'flow-id': 'all' }), wait: 'false' },
      { env: env() }
    )
    expect(run.code).toBe(1)
    expect(sim.count('retrigger')).toBe(0)
    expect(github.issues).toHaveLength(1)
    expect(github.issues[0].title).toContain('web-events')
    expect(github.issues[0].body).toContain('retries are exhausted (3 made, all failed)')
  })

  it('a sweep that finds a flow healthy closes its open issue, reading open issues once', async () => {
    failure(sim, { flowName: 'broken', createdAt: Date.now() - MINUTE, retries: failing })
    const healed = sim.addFlow({ name: 'healed' })
    sim.addRun({ flowId: healed, status: 'success', records: 3, createdAt: Date.now() - MINUTE })
    for (let i = 0; i < 5; i++) sim.addRun({ flowId: sim.addFlow(), status: 'success', records: 1 })
    github.issues.push({
      number: 1,
      title: 'healed',
      body: `<!-- aep-flow: ${healed} -->\nold`,
      labels: ['aep-dataflow'],
      state: 'open',
      comments: []
    })
    const run = await act(sim, escalating({ 'flow-id': 'all' }), { env: env() })
    expect(run.code).toBe(1)
    expect(github.issues[0]).toMatchObject({ state: 'closed', state_reason: 'completed' })
    expect(github.issues).toHaveLength(2) // the broken flow's new issue
    expect(github.requests.filter(r => r.method === 'GET')).toHaveLength(1)
  })

  it('the GitHub token and the Adobe token appear nowhere but ::add-mask:: lines, not in issues either', async () => {
    const { runId } = failure(sim, { retries: failing })
    const run = await act(
      sim,
      { ...escalating({ 'run-id': runId }), ...oauth(sim), 'access-token': '', 'api-key': '' },
      { env: env() }
    )
    expect(run.stdout).toContain(`::add-mask::${github.token}`)
    const secrets = [github.token, ...secretsOf(sim)]
    const places = [...Object.values(shownText(run)), github.sentText()]
    for (const secret of secrets) for (const text of places) expect(text).not.toContain(secret)
    expect(github.issues).toHaveLength(1)
  })
})

describe('escalation behind a proxy', () => {
  let proxy: http.Server
  let connects: string[]
  beforeEach(async () => {
    connects = []
    proxy = http.createServer((_req, res) => res.writeHead(403).end())
    proxy.on('connect', (req, socket) => {
      connects.push(req.url ?? '')
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
    })
    await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
  })
  afterEach(() => new Promise<void>(resolve => proxy.close(() => resolve())))

  it('Octokit goes through HTTPS_PROXY to a remote GitHub (the proxy, ours, refuses: nothing leaves)', async () => {
    const { runId } = failure(sim, { retries: failing })
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    const run = await act(sim, escalating({ 'run-id': runId }), {
      env: { GITHUB_API_URL: 'https://api.github.com', HTTPS_PROXY: url }
    })
    // Every attempt (a refused tunnel is a network fault: the listing is retried twice) goes
    // through the proxy, and only to GitHub.
    expect(connects).toEqual(Array(3).fill('api.github.com:443'))
    expect(run.code).toBe(1) // the run's verdict, unchanged
    expect(run.warnings.join('\n')).toMatch(/Could not file GitHub issues/)
    expect(run.stderr).toBe('')
  })
})
