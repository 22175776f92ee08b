// The simulator itself, in-process over loopback with plain fetch: its clock, time-based
// lifecycles, copy windows, flows of every kind, the sandbox-wide listing and schedules.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import {
  addRetry,
  destinationFlow,
  failedRun,
  HOUR,
  hourBefore,
  internalFlow,
  MINUTE,
  sourceFlow,
  succeededRun,
  sweepableSandbox
} from '../../sim/scenarios.js'
import { Simulator } from '../../sim/simulator.js'

const BASE = '/data/foundation/flowservice'
let sim: Simulator
beforeEach(async () => {
  sim = new Simulator({ staticTokens: ['t'] })
  await sim.start()
})
afterEach(() => sim.stop())

/** A JSON answer, read loosely (what `JSON.parse` gives). */
type Json = ReturnType<typeof JSON.parse>

interface Reply {
  status: number
  date: number
  body: Json
}

async function call(path: string, { method = 'GET', sandbox = 'prod' } = {}): Promise<Reply> {
  const res = await fetch(`${sim.url}${BASE}${path}`, {
    method,
    headers: {
      authorization: 'Bearer t',
      'x-api-key': sim.apiKey,
      'x-gw-ims-org-id': sim.orgId,
      'x-sandbox-name': sandbox
    }
  })
  const text = await res.text()
  return {
    status: res.status,
    date: Date.parse(res.headers.get('date') ?? ''),
    body: text ? JSON.parse(text) : undefined
  }
}

const getRun = async (id: string, sandbox = 'prod') =>
  (await call(`/runs/${id}`, { sandbox })).body?.items?.[0]
const retrigger = (id: string) => call(`/runs/${id}/action?op=re-trigger`, { method: 'POST' })
const query = (filters: string[], extra = '') =>
  filters.map(f => `property=${encodeURIComponent(f)}`).join('&') + extra

/** Every item of a listing, following `_links.next`; also how many pages it took. */
async function listAll(path: '/runs' | '/flows', qs = '', sandbox = 'prod') {
  const items: Json[] = []
  let next: string | undefined = `${path}?${qs}`
  let pages = 0
  while (next) {
    const page = await call(next, { sandbox })
    expect(page.status).toBe(200)
    items.push(...page.body.items)
    pages++
    next = page.body._links?.next?.href
  }
  return { items, pages }
}

const statusOf = (run: Json) => run.metrics.statusSummary.status
const copyActivity = (run: Json) => run.activities.find((a: Json) => a.name === 'Copy Activity')
const windowOf = (run: Json) => copyActivity(run)?.durationSummary?.extensions

describe('the clock', () => {
  it('is real time by default, and every answer carries a Date header from it', async () => {
    expect(Math.abs(sim.now() - Date.now())).toBeLessThan(50)
    const before = Date.now()
    const reply = await call('/runs')
    expect(reply.date).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000)
    expect(reply.date).toBeLessThanOrEqual(Date.now())
  })

  it('setNow and advance move the Date header and every timestamp the simulator makes', async () => {
    const anchor = Math.floor(Date.now() / 1000) * 1000 - 3 * HOUR
    sim.setNow(anchor)
    expect((await call('/flows')).date).toBe(anchor)
    const early = sim.addRun({ status: 'failed' })
    // The simulated clock keeps ticking in real time from where it was set.
    const createdAt = sim.run(early)!.createdAt as number
    expect(createdAt - (anchor - 60_000)).toBeGreaterThanOrEqual(0)
    expect(createdAt - (anchor - 60_000)).toBeLessThan(1000)
    expect(Math.abs((sim.run(early)!.updatedAt as number) - anchor)).toBeLessThan(1000)

    sim.advance(2 * HOUR)
    expect(Math.abs(sim.now() - (anchor + 2 * HOUR))).toBeLessThan(1000)
    expect((await call('/flows')).date).toBeGreaterThanOrEqual(anchor + 2 * HOUR)
    const created = await retrigger(early)
    const retry = sim.run(created.body.id)!
    expect(retry.createdAt).toBeGreaterThanOrEqual(anchor + 2 * HOUR)
    expect(retry.createdAt).toBeLessThan(anchor + 2 * HOUR + 5000)
    sim.advanceTo(anchor) // never backwards
    expect(sim.now()).toBeGreaterThanOrEqual(anchor + 2 * HOUR)
  })
})

describe('time-based lifecycles', () => {
  it('a run reads inProgress until its time, in GET, in listings and in lastRunDetails; then final', async () => {
    const flowId = sourceFlow(sim, 'crm')
    const start = sim.now()
    const runId = sim.addRun({
      flowId,
      status: 'failed',
      startedAt: start,
      createdAt: start,
      durationMs: 10 * MINUTE,
      errors: [{ code: 'CONNECTOR-2001-500', message: 'Source file could not be read' }]
    })
    const listed = async () =>
      (await call(`/runs?${query([`flowId==${flowId}`])}`)).body.items.find(
        (r: Json) => r.id === runId
      )
    const lastRun = async () => (await call('/flows')).body.items[0].lastRunDetails

    for (const run of [await getRun(runId), await listed()]) {
      expect(statusOf(run)).toBe('inProgress')
      expect(run.metrics.statusSummary.errors).toBeUndefined()
      expect(run.metrics.durationSummary.completedAtUTC).toBeUndefined()
    }
    expect((await lastRun()).state).toBe('inProgress')
    expect(
      (await call(`/runs?${query(['metrics.statusSummary.status==failed'])}`)).body.items
    ).toEqual([])

    sim.advance(10 * MINUTE)
    for (const run of [await getRun(runId), await listed()]) {
      expect(statusOf(run)).toBe('failed')
      expect(run.metrics.statusSummary.errors[0].code).toBe('CONNECTOR-2001-500')
      expect(run.metrics.durationSummary.completedAtUTC).toBe(start + 10 * MINUTE)
    }
    expect(await lastRun()).toMatchObject({ id: runId, state: 'failed' })
    expect(
      (await call(`/runs?${query(['metrics.statusSummary.status==failed'])}`)).body.items
    ).toHaveLength(1)

    sim.advance(-5 * MINUTE) // back before its end: in progress again
    expect(statusOf(await getRun(runId))).toBe('inProgress')
  })

  it('nextLifecycle.durationMs: a re-triggered run finishes in simulated time, not by reads', async () => {
    const runId = sim.addRun({ status: 'failed' })
    sim.nextLifecycle = { durationMs: 30 * MINUTE, final: 'failed', records: 7 }
    const created = await retrigger(runId)
    expect(created.status).toBe(200)
    for (let i = 0; i < 3; i++) expect(statusOf(await getRun(created.body.id))).toBe('inProgress')
    sim.advance(30 * MINUTE)
    const done = await getRun(created.body.id)
    expect(statusOf(done)).toBe('failed')
    expect(done.metrics.recordSummary).toEqual({
      inputRecordCount: 7,
      outputRecordCount: 0,
      failedRecordCount: 7
    })
  })
})

describe('copy-activity windows', () => {
  it('a run reports its window and errors where Adobe does; a re-trigger copies the window', async () => {
    const at = sim.now() - 20 * MINUTE
    const runId = failedRun(sim, {
      at,
      errors: [{ code: 'INGEST-1212-400', message: 'Errors in the data', recordCount: 3 }]
    })
    const run = await getRun(runId)
    expect(windowOf(run)).toEqual({ windowStart: at - HOUR, windowEnd: at })
    expect(run.metrics.statusSummary.errors).toEqual([
      { code: 'INGEST-1212-400', message: 'Errors in the data' }
    ])
    const activity = copyActivity(run)
    expect(activity.id).toEqual(expect.any(String))
    expect(activity.durationSummary).toMatchObject({
      startedAtUTC: at,
      completedAtUTC: at + 2 * MINUTE
    })
    expect(activity.statusSummary.errors).toEqual(run.metrics.statusSummary.errors)
    expect(activity.statusSummary.extensions.errors).toEqual([
      { code: 'INGEST-1212-400', message: 'Errors in the data', recordCount: 3 }
    ])

    const created = await retrigger(runId)
    expect(windowOf(await getRun(created.body.id))).toEqual(windowOf(run))
    expect(sim.windowOf(created.body.id)).toEqual(hourBefore(at))
  })

  it('addRetry copies the window and is made by the action’s own credential', async () => {
    const original = failedRun(sim, { at: sim.now() - 30 * MINUTE })
    const retry = addRetry(sim, original, { status: 'failed' })
    const [o, r] = [await getRun(original), await getRun(retry)]
    expect(r.flowId).toBe(o.flowId)
    expect(r.createdClient).toBe(sim.apiKey)
    expect(r.createdBy).toBe(sim.apiKey)
    expect(o.createdClient).toBe('acp_foundation_connectors')
    expect(r.createdAt).toBeGreaterThan(o.metrics.durationSummary.completedAtUTC)
    expect(windowOf(r)).toEqual(windowOf(o))
    expect(statusOf(r)).toBe('failed')
    expect(r.metrics.statusSummary.errors).toEqual(o.metrics.statusSummary.errors)
  })

  it('windows off: no run reports a window, the errors stay where the parser reads them', async () => {
    const runId = failedRun(sim)
    sim.windows = false
    const created = await retrigger(runId)
    for (const run of [await getRun(runId), await getRun(created.body.id)])
      expect(JSON.stringify(run)).not.toMatch(/window/i)
    expect(copyActivity(await getRun(runId)).statusSummary.errors[0].code).toBe(
      'CONNECTOR-1001-500'
    )
    const off = new Simulator({ windows: false })
    expect(JSON.stringify(off.run(failedRun(off)))).not.toMatch(/window/i)
  })
})

describe('flows of every kind', () => {
  it('GET /flows marks source flows; the isSourceFlow filter keeps them alone', async () => {
    const source = sourceFlow(sim, 'crm')
    const destination = destinationFlow(sim)
    const internal = internalFlow(sim)
    const flows = (await listAll('/flows')).items
    const isSource = Object.fromEntries(
      flows.map(f => [f.id, f.inheritedAttributes.properties.isSourceFlow])
    )
    expect(isSource).toEqual({ [source]: true, [destination]: false, [internal]: false })
    expect(flows.find(f => f.id === internal).name).toBe('Datalake to UIS Flow')
    const sources = await listAll(
      '/flows',
      query(['inheritedAttributes.properties.isSourceFlow==true'])
    )
    expect(sources.items.map(f => f.id)).toEqual([source])
    const others = await listAll(
      '/flows',
      query(['inheritedAttributes.properties.isSourceFlow==FALSE'])
    )
    expect(others.items.map(f => f.id).sort()).toEqual([destination, internal].sort())
  })

  it("GET /flows/{id} answers one flow as its listing does, in a list of one; another sandbox's is 404", async () => {
    const destination = destinationFlow(sim)
    const listed = (await listAll('/flows')).items.find(f => f.id === destination)
    const read = await call(`/flows/${destination}`)
    expect(read.status).toBe(200)
    expect(read.body).toEqual({ items: [listed] })
    expect(read.body.items[0].inheritedAttributes.properties).toEqual({
      isSourceFlow: false,
      isDestinationFlow: true
    })
    expect((await call(`/flows/${destination}`, { sandbox: 'dev' })).status).toBe(404)
    expect((await call(`/flows/${sourceFlow(sim, 'x', { sandbox: 'dev' })}`)).status).toBe(404)
    expect(sim.count('getFlow')).toBe(3)
  })

  it('runs of destination and internal flows are listed; a re-trigger of one is refused (1333-400) and recorded', async () => {
    const destinationRun = failedRun(sim, { flowId: destinationFlow(sim) })
    const internalRun = failedRun(sim, { flowId: internalFlow(sim) })
    const sourceRun = failedRun(sim)
    const failed = await listAll('/runs', query(['metrics.statusSummary.status==failed']))
    expect(failed.items.map(r => r.id).sort()).toEqual(
      [destinationRun, internalRun, sourceRun].sort()
    )
    for (const id of [destinationRun, internalRun]) {
      const refused = await retrigger(id)
      expect(refused.status).toBe(400)
      expect(refused.body.type).toMatch(/FLOW-1333-400$/)
    }
    expect(sim.runsOf(sim.run(destinationRun)!.flowId as string)).toHaveLength(1)
    expect(sim.retriggerTargets()).toEqual([destinationRun, internalRun])
    expect(sim.count('retrigger')).toBe(2)
  })

  it('a run of a flow never added makes a batch source flow of it (unless implicitFlows is false)', async () => {
    const runId = sim.addRun({ status: 'failed' })
    const flowId = sim.run(runId)!.flowId as string
    const flows = (await listAll('/flows')).items
    expect(flows).toEqual([
      expect.objectContaining({
        id: flowId,
        inheritedAttributes: { properties: { isSourceFlow: true, isDestinationFlow: false } },
        lastRunDetails: expect.objectContaining({ id: runId, state: 'failed' })
      })
    ])
    const bare = new Simulator({ staticTokens: ['t'], implicitFlows: false })
    const url = sim.url
    await bare.start()
    try {
      bare.addRun({ status: 'failed' })
      sim.url = bare.url // the helpers call sim.url
      expect((await call('/flows')).body.items).toEqual([])
    } finally {
      sim.url = url
      await bare.stop()
    }
  })

  it('lastRunDetails.startedAtUTC filters flows on any path', async () => {
    const recent = sourceFlow(sim, 'recent')
    const stale = sourceFlow(sim, 'stale')
    sourceFlow(sim, 'never-run')
    succeededRun(sim, { flowId: recent, at: sim.now() - HOUR })
    failedRun(sim, { flowId: stale, at: sim.now() - 30 * HOUR })
    const since = sim.now() - 2 * HOUR
    const listed = await listAll('/flows', query([`lastRunDetails.startedAtUTC>=${since}`]))
    expect(listed.items.map(f => f.name)).toEqual(['recent'])
  })
})

describe('the sandbox-wide listing', () => {
  it('filters on status and startedAtUTC, ANDed, case-insensitive, across flows', async () => {
    const now = sim.now()
    const a = sourceFlow(sim, 'a')
    const b = sourceFlow(sim, 'b')
    const recentA = failedRun(sim, { flowId: a, at: now - 2 * HOUR })
    failedRun(sim, { flowId: a, at: now - 30 * HOUR })
    succeededRun(sim, { flowId: a, at: now - HOUR })
    const recentB = failedRun(sim, { flowId: b, at: now - 3 * HOUR })
    const since = now - 24 * HOUR
    for (const status of ['failed', 'Failed', 'FAILED']) {
      const listed = await listAll(
        '/runs',
        query([
          `metrics.statusSummary.status==${status}`,
          `metrics.durationSummary.startedAtUTC>${since}`
        ])
      )
      expect(listed.items.map(r => r.id).sort()).toEqual([recentA, recentB].sort())
    }
    // One parameter, comma-separated, is the same AND.
    const combined = await listAll(
      '/runs',
      `property=${encodeURIComponent(`metrics.statusSummary.status==failed,metrics.durationSummary.startedAtUTC>${since}`)}&orderby=-createdAt`
    )
    expect(combined.items.map(r => r.id)).toEqual([recentA, recentB])
    const notFailed = await listAll('/runs', query(['metrics.statusSummary.status!=failed']))
    expect(notFailed.items.map(statusOf)).toEqual(['success'])
    const bad = await call('/runs?property=nonsense')
    expect(bad.status).toBe(400)
  })

  it('pages with limit and continuation, newest first with orderby, every run once', async () => {
    const now = sim.now()
    const ids = Array.from({ length: 25 }, (_, i) =>
      sim.addRun({ status: i % 2 ? 'success' : 'failed', createdAt: now - i * MINUTE })
    )
    const listed = await listAll('/runs', 'limit=10&orderby=-createdAt')
    expect(listed.pages).toBe(3)
    expect(listed.items.map(r => r.id)).toEqual(ids)
    const oldestFirst = await listAll('/runs', 'limit=7&orderby=createdAt')
    expect(oldestFirst.items.map(r => r.id)).toEqual([...ids].reverse())
    const first = await call('/runs?limit=10')
    expect(first.body._links.next.href).toMatch(/^\/runs\?.*continuationToken=10/)
  })

  it('lists only the sandbox asked for, and GET of another sandbox’s run is 404', async () => {
    const prod = failedRun(sim)
    const dev = failedRun(sim, { flowId: sourceFlow(sim, 'dev-flow', { sandbox: 'dev' }) })
    expect(sim.run(dev)!.sandboxName).toBe('dev')
    expect((await listAll('/runs')).items.map(r => r.id)).toEqual([prod])
    expect((await listAll('/runs', '', 'dev')).items.map(r => r.id)).toEqual([dev])
    expect((await listAll('/flows', '', 'dev')).items.map(f => f.name)).toEqual(['dev-flow'])
    expect((await call(`/runs/${dev}`)).status).toBe(404)
    expect((await getRun(dev, 'dev')).id).toBe(dev)
    const retry = await call(`/runs/${dev}/action?op=re-trigger`, {
      method: 'POST',
      sandbox: 'dev'
    })
    expect(sim.run(retry.body.id)!.sandboxName).toBe('dev')
  })

  it('lists 20,000 runs of 1,000 flows at 100 a page, every run once, newest first; filters them', async () => {
    const now = sim.now()
    for (let f = 0; f < 1000; f++) {
      const flowId = sourceFlow(sim, `flow-${f}`)
      for (let r = 0; r < 20; r++)
        sim.addRun({
          flowId,
          status: (f + r) % 10 === 0 ? 'failed' : 'success',
          createdAt: now - r * HOUR - f
        })
    }
    const all = await listAll('/runs', 'limit=100&orderby=-createdAt')
    expect(all.items).toHaveLength(20_000)
    expect(new Set(all.items.map(r => r.id)).size).toBe(20_000)
    expect(all.pages).toBe(200)
    const failed = await listAll(
      '/runs',
      query([`metrics.statusSummary.status==failed`, `createdAt>${now - 24 * HOUR}`], '&limit=100')
    )
    expect(failed.items).toHaveLength(2_000)
    // Its speed is measured where speed belongs: `npm run bench` lists as many in one sweep.
    const created = all.items.map(r => r.createdAt as number)
    expect(created).toEqual([...created].sort((a, b) => b - a))
  })
})

describe('schedules in simulated time', () => {
  it('creates each slot’s run as the clock passes it, with its window, in progress, then final', async () => {
    const anchor = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR
    sim.setNow(anchor - MINUTE)
    const flowId = sourceFlow(sim, 'hourly')
    const schedule = sim.schedule(flowId, {
      firstAt: anchor,
      durationMs: 10 * MINUTE,
      outcome: slot => (slot === 1 ? 'failed' : 'success')
    })
    expect(schedule.runIds).toEqual([])

    sim.advance(2 * MINUTE) // past slot 0, inside its run
    expect(schedule.runIds).toHaveLength(1)
    const first = await getRun(schedule.runIds[0])
    expect(statusOf(first)).toBe('inProgress')
    expect(first).toMatchObject({ createdAt: anchor, createdClient: 'acp_foundation_connectors' })
    expect(windowOf(first)).toEqual({ windowStart: anchor - HOUR, windowEnd: anchor })

    sim.advanceTo(anchor + HOUR + 15 * MINUTE)
    expect(schedule.runIds).toHaveLength(2)
    const [zero, one] = await Promise.all(schedule.runIds.map(id => getRun(id)))
    expect(statusOf(zero)).toBe('success')
    expect(statusOf(one)).toBe('failed')
    expect(one.metrics.statusSummary.errors[0].code).toBe('CONNECTOR-1001-500')
    expect(windowOf(one)).toEqual({ windowStart: anchor, windowEnd: anchor + HOUR })

    sim.advanceTo(Date.now())
    expect(schedule.runIds.length).toBeGreaterThanOrEqual(4)
    const failed = await listAll('/runs', query(['metrics.statusSummary.status==failed']))
    expect(failed.items.map(r => r.id)).toEqual([schedule.runIds[1]])
    schedule.stop()
    sim.advance(3 * HOUR)
    expect(sim.runsOf(flowId)).toHaveLength(schedule.runIds.length)
  })
})

describe('routes', () => {
  const imsToken = (form: Record<string, string>) =>
    fetch(`${sim.url}/ims/token/v3`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString()
    })
  const credentials = () => ({
    grant_type: 'client_credentials',
    client_id: sim.apiKey,
    client_secret: sim.clientSecret,
    scope: 'openid,AdobeID'
  })

  it('records every request with its route; a request no route takes is 404 naming it', async () => {
    const runId = sim.addRun({ status: 'failed' })
    await call('/runs')
    await call('/flows')
    await call(`/runs/${runId}`)
    await retrigger(runId)
    expect((await imsToken(credentials())).status).toBe(200)
    const strays = [
      await call(`/runs/${runId}`, { method: 'DELETE' }),
      await call('/runs/not-a-run-id'),
      await call(`/runs/${runId}/action?op=re-trigger`),
      await call('/runs/', { method: 'POST' })
    ]
    for (const stray of strays) {
      expect(stray.status).toBe(404)
      expect(stray.body.type).toMatch(/FLOW-1101-404$/)
      expect(stray.date).toBeGreaterThan(0)
    }
    expect(strays[0].body.errorMessage).toBe(`No route for DELETE ${BASE}/runs/${runId}`)
    expect(sim.requests.map(r => r.route)).toEqual([
      'listRuns',
      'listFlows',
      'getRun',
      'retrigger',
      'token',
      undefined,
      undefined,
      undefined,
      undefined
    ])
    expect(sim.requests[3]).toMatchObject({
      method: 'POST',
      path: `${BASE}/runs/${runId}/action?op=re-trigger`
    })
    expect(sim.requests[4].body).toContain('grant_type=client_credentials')
    expect(sim.count('retrigger')).toBe(1)
    expect(sim.retriggerTargets()).toEqual([runId])
  })

  it('IMS needs no gateway headers and checks the form; Flow Service routes check them', async () => {
    const refused = await imsToken({ ...credentials(), client_secret: 'wrong' })
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' })
    expect((await imsToken({ ...credentials(), grant_type: 'password' })).status).toBe(400)
    expect((await imsToken({ ...credentials(), scope: '' })).status).toBe(400)
    const issued = await imsToken(credentials())
    const { access_token: token } = (await issued.json()) as { access_token: string }
    expect(sim.issuedTokens).toEqual([token])

    const bare = await fetch(`${sim.url}${BASE}/runs`)
    expect(bare.status).toBe(403)
    expect(await bare.json()).toMatchObject({ error_code: '403000' })
    const withIssued = await fetch(`${sim.url}${BASE}/flows`, {
      headers: {
        authorization: `Bearer ${token}`,
        'x-api-key': sim.apiKey,
        'x-gw-ims-org-id': sim.orgId,
        'x-sandbox-name': 'prod'
      }
    })
    expect(withIssued.status).toBe(200)
    const noSandbox = await fetch(`${sim.url}${BASE}/flows`, {
      headers: { authorization: 'Bearer t', 'x-api-key': sim.apiKey, 'x-gw-ims-org-id': sim.orgId }
    })
    expect(noSandbox.status).toBe(400)
  })

  it('a queued fault is served by the next requests of its route alone, in order', async () => {
    const runId = sim.addRun({ status: 'failed' })
    sim.fault('getRun', { status: 503 }, { status: 418, body: '{"teapot":true}' })
    sim.fault('listFlows', { headers: { 'x-extra': 'yes' } })
    expect((await call('/runs')).status).toBe(200)
    const unavailable = await call(`/runs/${runId}`)
    expect(unavailable.status).toBe(503)
    expect(unavailable.body.type).toMatch(/\/503$/)
    expect(await call(`/runs/${runId}`)).toMatchObject({ status: 418, body: { teapot: true } })
    expect((await getRun(runId)).id).toBe(runId)
    const flows = await fetch(`${sim.url}${BASE}/flows`, {
      headers: {
        authorization: 'Bearer t',
        'x-api-key': sim.apiKey,
        'x-gw-ims-org-id': sim.orgId,
        'x-sandbox-name': 'prod'
      }
    })
    expect(flows.status).toBe(200)
    expect(flows.headers.get('x-extra')).toBe('yes')

    // Acted, then 502: the new run exists though the answer says otherwise.
    sim.fault('retrigger', { status: 502, act: true })
    expect((await retrigger(runId)).status).toBe(502)
    const flowId = sim.run(runId)!.flowId as string
    expect(sim.runsOf(flowId)).toHaveLength(2)
    // Not acted: a 502 alone creates nothing.
    sim.fault('retrigger', { status: 502 })
    expect((await retrigger(runId)).status).toBe(502)
    expect(sim.runsOf(flowId)).toHaveLength(2)

    sim.fault('token', { reset: 'before' })
    await expect(imsToken(credentials())).rejects.toThrow()
    expect((await imsToken(credentials())).status).toBe(200)
    expect(sim.count('token')).toBe(2)
  })

  it('a run of another sandbox is 404 on every run route; an unsupported op is 400', async () => {
    const dev = failedRun(sim, { flowId: sourceFlow(sim, 'dev-flow', { sandbox: 'dev' }) })
    expect((await call(`/runs/${dev}`)).status).toBe(404)
    const elsewhere = await retrigger(dev)
    expect(elsewhere.status).toBe(404)
    expect(elsewhere.body.errorMessage).toBe(`Run ${dev} not found`)
    const op = await call(`/runs/${dev}/action?op=cancel`, { method: 'POST', sandbox: 'dev' })
    expect(op.status).toBe(400)
    expect(op.body.errorMessage).toBe('Unsupported op cancel')
    expect(sim.runsOf(sim.run(dev)!.flowId as string)).toHaveLength(1)
  })
})

describe('the hand-sweep sandbox', () => {
  it('holds a missed window behind a success, a failed retry, a failed destination run and a healthy flow', async () => {
    const seeded = sweepableSandbox(sim)
    const sources = (
      await listAll('/flows', query(['inheritedAttributes.properties.isSourceFlow==true']))
    ).items
    expect(sources.map(f => f.name).sort()).toEqual(['crm-accounts', 'crm-contacts', 'web-events'])
    expect(sources.find(f => f.name === 'crm-accounts').lastRunDetails.state).toBe('success')
    const failed = (await listAll('/runs', query(['metrics.statusSummary.status==failed']))).items
    expect(failed.map(r => r.id).sort()).toEqual(
      [
        seeded.missedWindow.failedRunId,
        seeded.failedRetry.failedRunId,
        seeded.failedRetry.retryId,
        seeded.destination.failedRunId
      ].sort()
    )
    const [original, retry] = [
      await getRun(seeded.failedRetry.failedRunId),
      await getRun(seeded.failedRetry.retryId)
    ]
    expect(windowOf(retry)).toEqual(windowOf(original))
    expect(retry.createdClient).toBe(sim.apiKey)
  })
})

describe('sandboxes of an org', () => {
  async function sandboxes(qs = ''): Promise<Reply> {
    const res = await fetch(`${sim.url}/data/foundation/sandbox-management/${qs}`, {
      headers: { authorization: 'Bearer t', 'x-api-key': sim.apiKey, 'x-gw-ims-org-id': sim.orgId }
    })
    return { status: res.status, date: 0, body: JSON.parse(await res.text()) }
  }

  it('routes by x-sandbox-name: each sandbox lists and re-triggers its own runs only', async () => {
    const inProd = failedRun(sim, { flowId: sim.addFlow({ name: 'orders' }) })
    const inDev = failedRun(sim, { flowId: sim.addFlow({ name: 'orders', sandbox: 'dev' }) })
    expect((await listAll('/runs', '', 'dev')).items.map((r: Json) => r.id)).toEqual([inDev])
    expect((await listAll('/flows', '', 'dev')).items).toHaveLength(1)
    expect(await getRun(inProd, 'dev')).toBeUndefined()
    expect(await getRun(inDev, 'dev')).toMatchObject({ id: inDev, sandboxName: 'dev' })
  })

  it('answers an unknown or deleted sandbox 404, a refusing one 403, as Adobe does', async () => {
    const unknown = await call('/runs', { sandbox: 'nowhere' })
    expect(unknown.status).toBe(404)
    expect(unknown.body.type).toMatch(/FLOW-2100-404$/)
    sim.addSandbox({ name: 'gone', state: 'deleted' })
    expect((await call('/flows', { sandbox: 'gone' })).status).toBe(404)
    sim.addSandbox({ name: 'locked' }).refuseSandbox('locked')
    const locked = await call('/flows', { sandbox: 'locked' })
    expect(locked.status).toBe(403)
    expect(locked.body.type).toMatch(/FLOW-2120-403$/)
    expect((await call('/flows')).status).toBe(200)
  })

  it('lists every sandbox with its state and type, paged by limit+offset to its end', async () => {
    for (let i = 0; i < 4; i++)
      sim.addSandbox({ name: `dev-${i}`, state: i ? 'active' : 'creating' })
    const first = await sandboxes()
    expect(first.body.sandboxes).toHaveLength(5)
    expect(first.body.sandboxes[0]).toMatchObject({
      name: 'prod',
      state: 'active',
      type: 'production'
    })
    expect(first.body.sandboxes[1]).toMatchObject({ name: 'dev-0', state: 'creating' })
    const names: string[] = []
    let next: string | undefined = `${sim.url}/data/foundation/sandbox-management/?limit=2&offset=0`
    let pages = 0
    while (next) {
      const page: Reply = await sandboxes(next.slice(next.indexOf('?')))
      names.push(...page.body.sandboxes.map((s: Json) => s.name))
      next = page.body._links?.next?.href
      pages++
    }
    expect(pages).toBe(3)
    expect(names).toEqual(['prod', 'dev-0', 'dev-1', 'dev-2', 'dev-3'])
    expect((await sandboxes('?limit=2')).status).toBe(400)
  })
})
