/**
 * The fault matrix of docs/reliability.md: each row is a fault injected into the simulator, the
 * bundled action run against it, and the outcome it must produce. Every row is run with debug
 * logging off and on, and every row checks the three promises: at most one new run per requested
 * run, no secret anywhere, and a failure that says what happened.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { failure, retriesOf } from '../../sim/scenarios.js'
import type { Route, Simulator } from '../../sim/simulator.js'
import { act, oauthInputs, startSimulator, staticInputs } from '../helpers/e2e.js'
import { ROWS } from '../helpers/fault-rows.js'
import { MATRIX_FIGURES } from '../helpers/figures.js'

let sim: Simulator
beforeEach(async () => {
  sim = await startSimulator()
})
afterEach(() => sim.stop())

const tally = { rows: 0, asExpected: 0, duplicates: 0 }
afterAll(() => {
  // The figure line of docs/reliability.md counts what this file proves.
  expect(tally.rows).toBe(ROWS.length * 2)
  expect(tally.asExpected).toBe(tally.rows)
  expect(tally.duplicates).toBe(0)
  expect(MATRIX_FIGURES.faultsTried).toBe(tally.rows)
})

describe.each([
  ['debug off', {}],
  ['debug on', { RUNNER_DEBUG: '1' }]
])('fault matrix (%s)', (_mode, env) => {
  it.each(ROWS.map(row => [row.name, row] as const))('%s', async (_name, row) => {
    tally.rows++
    const { runId, flowId } = failure(sim)
    row.before?.(sim, runId, flowId)
    for (const [route, faults] of Object.entries(row.faults)) sim.fault(route as Route, ...faults)
    const ours = () => retriesOf(sim, flowId)
    const oursBefore = ours().length
    const inputs = row.oauth ? oauthInputs : staticInputs
    const run = await act(sim, inputs(sim, { 'run-id': runId, ...row.inputs }), { env })

    const newRuns = ours()
    if (newRuns.length - oursBefore > 1) tally.duplicates++
    expect(newRuns).toHaveLength(row.newRuns)
    expect(run.code).toBe(row.exit)
    if (row.posts !== undefined) expect(sim.count('retrigger')).toBe(row.posts)
    if (row.exit === 0) expect(run.outputs['new-run-id']).toBe(newRuns[0].id)
    else {
      expect(run.errors.length).toBeGreaterThan(0)
      if (row.error) expect(run.errors.join('\n')).toMatch(row.error)
    }
    if (row.warning) expect(run.warnings.join('\n')).toMatch(row.warning)
    tally.asExpected++
  })
})

describe('redirects and proxies', () => {
  let other: http.Server
  let otherHits: http.IncomingHttpHeaders[]
  beforeEach(async () => {
    otherHits = []
    other = http.createServer((req, res) => {
      otherHits.push(req.headers)
      res.writeHead(req.method === 'CONNECT' ? 403 : 200).end('{}')
    })
    other.on('connect', (req, socket) => {
      otherHits.push({ host: req.url })
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
    })
    await new Promise<void>(resolve => other.listen(0, '127.0.0.1', resolve))
  })
  afterEach(() => new Promise<void>(resolve => other.close(() => resolve())))

  it('does not follow a redirect to another host, so the token never travels there', async () => {
    const port = (other.address() as AddressInfo).port
    const { runId } = failure(sim)
    sim.fault('getRun', {
      status: 307,
      body: '',
      headers: { location: `http://localhost:${port}/steal` }
    })
    const run = await act(sim, staticInputs(sim, { 'run-id': runId }))
    expect(run.code).toBe(1)
    expect(run.errors[0]).toMatch(
      /HTTP 307.*redirect to http:\/\/localhost:\d+\/steal, which is not followed/s
    )
    expect(otherHits).toHaveLength(0)
    expect(sim.count('retrigger')).toBe(0)
  })

  it('sends requests to a remote host through HTTPS_PROXY', async () => {
    const proxy = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
    const run = await act(
      sim,
      staticInputs(sim, {
        'run-id': failure(sim).runId,
        'platform-url': 'https://platform.adobe.io',
        'max-attempts': '1'
      }),
      { env: { HTTPS_PROXY: proxy } }
    )
    // The proxy (ours, on loopback) refuses the tunnel: nothing leaves the machine, and it saw the CONNECT.
    expect(otherHits).toEqual([{ host: 'platform.adobe.io:443' }])
    expect(run.code).toBe(1)
  })

  it('bypasses HTTPS_PROXY for loopback hosts', async () => {
    const proxy = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
    const run = await act(sim, staticInputs(sim, { 'run-id': failure(sim).runId }), {
      env: { HTTPS_PROXY: proxy, HTTP_PROXY: proxy }
    })
    expect(run.code).toBe(0)
    expect(otherHits).toHaveLength(0)
  })
})
