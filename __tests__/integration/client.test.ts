// The action's modules in-process against the simulator over loopback: no bundle, no child process.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as net from 'node:net'
import * as core from '../../__fixtures__/core.js'
import type { Simulator } from '../../sim/simulator.js'
import { startSimulator, STATIC_TOKEN } from '../helpers/e2e.js'
import { ownedBy } from '../../src/decide/identity.js'

jest.unstable_mockModule('@actions/core', () => core)
const { Transport, MAX_BODY_BYTES, TransportError } = await import('../../src/aep/http.js')
const { FlowService } = await import('../../src/aep/flow-service.js')
const { createTokenSource } = await import('../../src/aep/auth.js')
const { Pacer } = await import('../../src/aep/pacing.js')
const { retriggerSafely } = await import('../../src/step/reconcile.js')

let sim: Simulator
let transports: InstanceType<typeof Transport>[] = []
beforeEach(async () => {
  sim = await startSimulator({ pageSize: 2 })
})
afterEach(async () => {
  transports.forEach(t => t.dispose())
  transports = []
  await sim.stop()
})

const transport = (timeoutMs = 1000, keepAlive = false) => {
  const t = new Transport(timeoutMs, keepAlive)
  transports.push(t)
  return t
}
const budget = { maxAttempts: 2, timeoutMs: 5000 }

/** `requestTimeoutMs`: the big listings' pages take longer to serve on a loaded machine. */
function flowService(oauth = false, listConcurrency?: number, requestTimeoutMs = 1000) {
  const pacer = new Pacer()
  const tokens = oauth
    ? createTokenSource(
        { kind: 'oauth', clientId: sim.apiKey, clientSecret: sim.clientSecret, scopes: 'openid' },
        { imsUrl: sim.url, transport: transport(), pacer, budget }
      )
    : createTokenSource(
        { kind: 'token', accessToken: STATIC_TOKEN },
        { imsUrl: sim.url, transport: transport(), pacer, budget }
      )
  return new FlowService({
    platformUrl: sim.url,
    sandbox: 'prod',
    orgId: sim.orgId,
    apiKey: sim.apiKey,
    tokens,
    reads: transport(requestTimeoutMs, true),
    writes: transport(),
    pacer,
    budget,
    requestTimeoutMs,
    listConcurrency
  })
}

describe('Transport', () => {
  it('knows a refused connection was never sent', async () => {
    const server = net.createServer()
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as net.AddressInfo).port
    await new Promise<void>(r => server.close(() => r()))
    const err = await transport()
      .request({ method: 'POST', url: `http://127.0.0.1:${port}/x`, headers: {} })
      .catch(e => e)
    expect(err).toBeInstanceOf(TransportError)
    expect(err).toMatchObject({ sent: false, code: 'ECONNREFUSED' })
  })

  it('treats a reset after connecting, and a timeout, as possibly sent', async () => {
    sim.fault('retrigger', { reset: 'before' }, { delayMs: 500 })
    const url = `${sim.url}/data/foundation/flowservice/runs/${sim.addRun()}/action?op=re-trigger`
    const reset = await transport()
      .request({ method: 'POST', url, headers: {} })
      .catch(e => e)
    expect(reset).toMatchObject({ sent: true })
    const slow = await transport(100)
      .request({ method: 'POST', url, headers: {} })
      .catch(e => e)
    expect(slow).toMatchObject({ sent: true, code: 'ETIMEDOUT' })
  })

  it('reads at most 1 MiB of an answer', async () => {
    sim.fault('getRun', { status: 500, bodyBytes: 20 * 1024 * 1024 })
    const res = await transport(5000).request({
      method: 'GET',
      url: `${sim.url}/data/foundation/flowservice/runs/${sim.addRun()}`,
      headers: {}
    })
    expect(res.status).toBe(500)
    expect(res.body.length).toBeLessThan(MAX_BODY_BYTES + 200)
    expect(res.body).toMatch(/answer cut at 1048576 bytes/)
  })

  it('stops at once when cancelled', async () => {
    sim.fault('getRun', { delayMs: 5000 })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const started = Date.now()
    const err = await transport(10_000)
      .request({
        method: 'GET',
        url: `${sim.url}/data/foundation/flowservice/runs/${sim.addRun()}`,
        headers: {},
        signal: controller.signal
      })
      .catch(e => e)
    expect(err).toMatchObject({ code: 'ABORTED' })
    expect(Date.now() - started).toBeLessThan(1000)
  })
})

describe('FlowService', () => {
  it('reads a run, lists every page of a flow newest first, and re-triggers', async () => {
    const flowId = '3d17a4ff-9e0a-4f7c-94bb-bc0b61a3a76d'
    const ids = [1, 2, 3, 4, 5].map(i => sim.addRun({ flowId, createdAt: Date.now() - i * 1000 }))
    const fs = flowService(true)
    expect((await fs.getRun(ids[0])).flowId).toBe(flowId)
    const listed = await fs.listRuns(flowId, 0)
    expect(listed.map(r => r.id)).toEqual(ids)
    expect(sim.count('listRuns')).toBe(3)
    const out = await fs.retrigger(ids[0])
    expect(out.etag).toBe(sim.run(out.id)!.eTag)
    expect(sim.count('token')).toBe(1)
  })

  it('reads the etag as eTag, or from the ETag header, when the answer spells it so', async () => {
    const [A, B] = ['0b7e3c1a-1111-4a4a-8b8b-000000000001', '0b7e3c1a-1111-4a4a-8b8b-000000000002']
    const runId = sim.addRun()
    sim.fault(
      'retrigger',
      { status: 200, body: `{"id":"${A}","eTag":"\\"x\\""}` },
      { status: 200, body: `{"id":"${B.toUpperCase()}"}`, headers: { etag: '"y"' } }
    )
    const fs = flowService()
    expect(await fs.retrigger(runId)).toEqual({ id: A, etag: '"x"' })
    expect(await fs.retrigger(runId)).toEqual({ id: B, etag: '"y"' })
  })

  it('keeps each flow and run once when the listing repeats them across pages (issue 27.4)', async () => {
    await sim.stop()
    // Each page starts one item before the previous one ended: item 3 is listed on pages 1 and 2.
    sim = await startSimulator({ pageSize: 3, pageOverlap: 1 })
    const flowId = '3d17a4ff-9e0a-4f7c-94bb-bc0b61a3a76d'
    const ids = [1, 2, 3, 4, 5].map(i => sim.addRun({ flowId, createdAt: Date.now() - i * 1000 }))
    const flows = [1, 2, 3, 4, 5].map(() => sim.addFlow())
    for (const f of flows) sim.addRun({ flowId: f, createdAt: Date.now() - 1000 })
    const fs = flowService()
    expect((await fs.listRuns(flowId, 0)).map(r => r.id)).toEqual(ids)
    expect(sim.count('listRuns')).toBe(2)
    const pages: string[][] = []
    const listed = await fs.listSourceFlows(0, page => pages.push(page.map(f => f.id)))
    expect(listed.items.map(f => f.id).filter(id => flows.includes(id))).toEqual(flows)
    expect(new Set(pages.flat()).size).toBe(pages.flat().length)
    expect(core.info.mock.calls.map(c => String(c[0])).join('\n')).toMatch(
      /1 item\(s\) were listed again on a later page; each is kept once/
    )
  })

  it('refuses a next page on another origin', async () => {
    const flowId = '3d17a4ff-9e0a-4f7c-94bb-bc0b61a3a76d'
    sim.addRun({ flowId })
    sim.fault('listRuns', {
      status: 200,
      body: JSON.stringify({
        items: [],
        _links: { next: { href: 'https://evil.example/runs?continuationToken=1' } }
      })
    })
    await expect(flowService().listRuns(flowId, 0)).rejects.toThrow(
      /refusing to send the token there/
    )
  })
})

describe('a big listing read in time slices (issue 30.4)', () => {
  const H = 3_600_000
  const listingQueries = () =>
    new Set(
      sim.requests
        .filter(r => r.route === 'listRuns')
        .map(r => decodeURIComponent(r.path).replace(/&?continuationToken=\d+/, ''))
    )

  it('20,000 failed runs in 16 slices: exactly the ids of one listing, runs on every edge once', async () => {
    await sim.stop()
    sim = await startSimulator({ pageSize: 100 })
    const until = Math.floor(Date.now() / 1000) * 1000
    const since = until - 16 * H
    // 4 readers × 4: slices of an hour, edges on whole hours from `since`.
    const edges = Array.from({ length: 16 }, (_, i) => since + i * H)
    const starts: number[] = []
    for (const e of edges) starts.push(e - 1, e, e + 1)
    // After the planned range (the open last slice) and before `since` (not listed).
    starts.push(until, until + 1, until + 60_000)
    while (starts.length < 20_000)
      starts.push(since + 2 + Math.floor((starts.length * 16 * H) / 20_000))
    const expected = new Set<string>()
    for (const [k, t] of starts.entries()) {
      const id = sim.addRun({ startedAt: t, createdAt: t - (k % 7) })
      if (t >= since) expected.add(id)
    }
    sim.addRun({ status: 'success', startedAt: since + 5 })
    expect(expected.size).toBe(20_000 - 1)

    const one = await flowService(false, 1, 15_000).listFailedRuns(since, undefined, until)
    expect(listingQueries().size).toBe(1)
    sim.requests.length = 0
    core.info.mockClear()
    const sliced = await flowService(false, 4, 15_000).listFailedRuns(since, undefined, until)
    // The first pages, then 16 slices, each its own filtered listing.
    expect(listingQueries().size).toBe(17)
    expect(sim.count('listRuns')).toBeLessThanOrEqual(4 + 200 + 16)
    for (const listed of [one, sliced]) {
      expect(listed.unread).toBeUndefined()
      expect(new Set(listed.items.map(r => r.id))).toEqual(expected)
      expect(listed.items).toHaveLength(expected.size)
    }
    expect(sliced.items.map(r => r.id)).toEqual(one.items.map(r => r.id))
    // Half-open slices: no run was listed by two of them.
    expect(core.info.mock.calls.map(c => String(c[0])).join('\n')).not.toMatch(/listed again/)
  })

  it('a listing of 4 pages costs 4 requests, as before: slices only past its first 4 pages', async () => {
    await sim.stop()
    sim = await startSimulator({ pageSize: 100 })
    for (let i = 0; i < 400; i++) sim.addRun({ startedAt: Date.now() - i * 60_000 })
    const listed = await flowService(false, 4, 15_000).listFailedRuns(Date.now() - 24 * H)
    expect(listed.items).toHaveLength(400)
    expect(sim.count('listRuns')).toBe(4)
  })

  it('past the item bound: what was read, and what was not said, not an error', async () => {
    await sim.stop()
    sim = await startSimulator({ pageSize: 100 })
    const now = Date.now()
    for (let i = 0; i < 20_050; i++) sim.addRun({ startedAt: now - 1000 - i * 1000 })
    const listed = await flowService(false, 4, 15_000).listFailedRuns(now - 24 * H)
    // Up to the bound (slices end on pages not full, so the page bound may come first).
    expect(listed.items.length).toBeGreaterThan(19_000)
    expect(listed.items.length).toBeLessThanOrEqual(20_000)
    expect(new Set(listed.items.map(r => r.id)).size).toBe(listed.items.length)
    expect(listed.unread).toMatch(
      /stopped at its bound \(more than (20000 items|216 pages)\).*may hold failed windows/
    )
    // The runs of ours are never partial: a retry not seen could be sent again.
    for (let i = 0; i < 20_050; i++)
      sim.addRun({ createdClient: sim.apiKey, createdAt: now - 1000 - i })
    await expect(
      flowService(false, 4, 15_000).listRunsCreatedBy(sim.apiKey, now - 24 * H)
    ).rejects.toThrow(/more than \d+ (items|pages); narrow `lookback`/)
  })
})

describe('retriggerSafely', () => {
  it('never adopts the same new run twice when two runs of one flow are ambiguous', async () => {
    const flowId = '3d17a4ff-9e0a-4f7c-94bb-bc0b61a3a76d'
    const [a, b] = [sim.addRun({ flowId }), sim.addRun({ flowId })]
    sim.fault('retrigger', { status: 500, act: true }, { status: 500, act: true })
    const fs = flowService()
    const claimed = new Set<string>()
    const ours = { settleMs: 30, claimed, owns: ownedBy(sim.apiKey) }
    const first = await retriggerSafely(fs, a, flowId, ours)
    const second = await retriggerSafely(fs, b, flowId, ours)
    expect(first.foundByListing).toBeTruthy()
    expect(second.foundByListing).toBeTruthy()
    expect(first.id).not.toBe(second.id)
    expect(sim.runsOf(flowId)).toHaveLength(4)
  })
})

describe('OAuth token source', () => {
  const source = () =>
    createTokenSource(
      { kind: 'oauth', clientId: sim.apiKey, clientSecret: sim.clientSecret, scopes: 'openid' },
      { imsUrl: sim.url, transport: transport(), pacer: new Pacer(), budget }
    )

  it('asks IMS once, reuses the token while it is fresh, and masks it', async () => {
    core.setSecret.mockClear()
    const tokens = source()
    const [a, b] = await Promise.all([tokens.token(), tokens.token()])
    expect(await tokens.token()).toBe(a)
    expect(b).toBe(a)
    expect(sim.count('token')).toBe(1)
    expect(core.setSecret).toHaveBeenCalledWith(a)
  })

  it('shares one IMS request between workers that all saw a 401', async () => {
    const tokens = source()
    await tokens.token()
    const renewed = await Promise.all([tokens.renew(), tokens.renew(), tokens.renew()])
    expect(new Set(renewed).size).toBe(1)
    expect(sim.count('token')).toBe(2)
  })

  it('reads an IMS answer of null, or one that is not JSON, as a clear error', async () => {
    sim.fault(
      'token',
      { status: 200, body: 'null' },
      { status: 200, body: '<html>maintenance</html>' }
    )
    await expect(source().token()).rejects.toThrow(
      'IMS token request failed: HTTP 200 without a usable access_token'
    )
    await expect(source().token()).rejects.toThrow(
      'IMS token request: HTTP 200 with an answer that is not JSON: HTML page: maintenance'
    )
  })

  it('says which inputs to check when IMS refuses the credentials', async () => {
    const tokens = createTokenSource(
      { kind: 'oauth', clientId: sim.apiKey, clientSecret: 'wrong', scopes: 'openid' },
      { imsUrl: sim.url, transport: transport(), pacer: new Pacer(), budget }
    )
    await expect(tokens.token()).rejects.toThrow(
      /invalid_client.*Check `client-id` and `client-secret`/s
    )
    expect(sim.count('token')).toBe(1)
  })
})
