import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { failure } from '../../sim/scenarios.js'
import type { Simulator } from '../../sim/simulator.js'
import { act, oauthInputs, startSimulator, staticInputs, waitInputs } from '../helpers/e2e.js'

let sim: Simulator
beforeEach(async () => {
  sim = await startSimulator()
})
afterEach(() => sim.stop())

const waiting = waitInputs('200ms', '5s')
const newRunReads = (sim: Simulator, original: string): number =>
  sim.requests.filter(r => r.route === 'getRun' && !r.path.endsWith(original)).length
/** A 401 with Adobe's body for a token it no longer accepts. */
const tokenRefused = {
  status: 401,
  body: JSON.stringify({ error_code: '401013', message: 'Oauth token is not valid' })
}

describe('pre-check: know the run before re-triggering it', () => {
  it('shows why a failed run failed, in the log and the summary, and outputs flow-id and previous-status', async () => {
    const { runId } = failure(sim, {
      errors: [{ code: 'CONNECTOR-1001', message: 'Authentication to the source failed' }]
    })
    const run = await act(sim, staticInputs(sim, { 'run-id': runId }))
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('CONNECTOR-1001: Authentication to the source failed')
    expect(run.summary).toContain('CONNECTOR-1001: Authentication to the source failed')
    expect(run.outputs['flow-id']).toBe(sim.run(runId)!.flowId)
    expect(run.outputs['previous-status']).toBe('failed')
  })

  it('re-triggers a successful run that ingested zero records', async () => {
    const runId = sim.addRun({ status: 'success', records: 0 })
    const run = await act(sim, staticInputs(sim, { 'run-id': runId }))
    expect(run.code).toBe(0)
    expect(sim.count('retrigger')).toBe(1)
  })

  it('refuses a successful run that ingested records (it would ingest again), unless forced', async () => {
    const runId = sim.addRun({ status: 'Success', records: 500 })
    const refused = await act(sim, staticInputs(sim, { 'run-id': runId }))
    expect(refused.code).toBe(1)
    expect(refused.errors[0]).toContain('500 records ingested')
    expect(refused.errors[0]).toContain('`force: true`')
    expect(sim.count('retrigger')).toBe(0)
    expect(refused.outputs['previous-status']).toBe('Success')
  })

  it('refuses a run that is still running, naming its status', async () => {
    const runId = sim.addRun({ status: 'inProgress' })
    const run = await act(sim, staticInputs(sim, { 'run-id': runId }))
    expect(run.code).toBe(1)
    expect(run.errors[0]).toContain('is still running (status "inProgress")')
    expect(sim.count('retrigger')).toBe(0)
  })

  it('refuses a run with a status it does not know, naming it', async () => {
    const runId = sim.addRun({ status: 'archived' })
    const run = await act(sim, staticInputs(sim, { 'run-id': runId }))
    expect(run.code).toBe(1)
    expect(run.errors[0]).toContain('status "archived"')
  })
})

describe('wait for the new run', () => {
  it('polls until success, no busier than the interval, and outputs status, duration and records', async () => {
    const { runId } = failure(sim, {
      retries: { inProgressReads: 3, final: 'success', records: 77 }
    })
    const run = await act(sim, staticInputs(sim, { 'run-id': runId, ...waiting }))
    expect(run.code).toBe(0)
    expect(run.outputs).toMatchObject({
      status: 'success',
      duration: '95',
      'records-ingested': '77'
    })
    const reads = sim.requests.filter(r => r.route === 'getRun' && !r.path.endsWith(runId))
    expect(reads).toHaveLength(4)
    for (let i = 1; i < reads.length; i++)
      expect(reads[i].at - reads[i - 1].at).toBeGreaterThanOrEqual(190)
    expect(run.stdout).toMatch(/still running \(\d+ms elapsed\)/)
    expect(run.summary).toMatch(/\| success \| 95s \| 77 \|/)
  })

  it('fails the step when the new run fails, with its errors; not with fail-on-run-failure: false', async () => {
    const errors = [{ code: 'INGEST-2002', message: 'Schema mismatch on column email' }]
    const retries = { inProgressReads: 1, final: 'failed', records: 10, errors }
    const failing = await act(
      sim,
      staticInputs(sim, { 'run-id': failure(sim, { retries }).runId, ...waiting })
    )
    expect(failing.code).toBe(1)
    expect(failing.outputs.status).toBe('failed')
    expect(failing.errors.join('\n')).toContain('INGEST-2002: Schema mismatch on column email')
    expect(failing.summary).toContain('INGEST-2002: Schema mismatch on column email')

    const tolerated = await act(
      sim,
      staticInputs(sim, {
        'run-id': failure(sim).runId,
        ...waiting,
        'fail-on-run-failure': 'false'
      })
    )
    expect(tolerated.code).toBe(0)
    expect(tolerated.outputs.status).toBe('failed')
  })

  it('times out honestly: status timeout, the step fails, within the timeout plus one interval', async () => {
    const { runId } = failure(sim, { retries: { inProgressReads: Infinity } })
    const run = await act(
      sim,
      staticInputs(sim, { 'run-id': runId, ...waitInputs('300ms', '1500ms') })
    )
    expect(run.code).toBe(1)
    expect(run.outputs.status).toBe('timeout')
    expect(run.outputs['new-run-id']).toBeTruthy()
    expect(run.errors.join('\n')).toContain('did not finish within `wait-timeout`')
    // The wait itself is bounded by timeout + interval: counted in reads of the new run, and its
    // span measured between the re-trigger and the last read on the simulator's clock, not by the
    // process's wall time (start-up on a loaded machine is no part of the wait).
    expect(newRunReads(sim, runId)).toBeLessThanOrEqual(1500 / 300 + 2)
    const retriggered = sim.requests.find(r => r.route === 'retrigger')!.at
    const lastRead = Math.max(...sim.requests.filter(r => r.route === 'getRun').map(r => r.at))
    expect(lastRead - retriggered).toBeLessThan(1500 + 300 + 1500)
  })

  it('tolerates a new run that is not readable at first (404)', async () => {
    const { runId } = failure(sim, {
      retries: { notFoundReads: 2, inProgressReads: 1, final: 'success', records: 5 }
    })
    const run = await act(sim, staticInputs(sim, { 'run-id': runId, ...waiting }))
    expect(run.code).toBe(0)
    expect(run.outputs.status).toBe('success')
    expect(run.stdout).toContain('not readable yet (HTTP 404)')
  })

  it('renews the OAuth token when a poll answers 401, masks the new one, and goes on', async () => {
    const { runId } = failure(sim, {
      retries: { inProgressReads: 2, final: 'success', records: 5 }
    })
    sim.fault('getRun', {}, tokenRefused)
    const run = await act(sim, oauthInputs(sim, { 'run-id': runId, ...waiting }))
    expect(run.code).toBe(0)
    expect(sim.count('token')).toBe(2)
    for (const token of sim.issuedTokens) expect(run.stdout).toContain(`::add-mask::${token}`)
    expect(run.outputs.status).toBe('success')
  })

  it('renews a short-lived token before it expires, without asking IMS for every request', async () => {
    await sim.stop()
    sim = await startSimulator({ tokenTtlSeconds: 1 }) // renewed 0.1 s before expiry
    const { runId } = failure(sim, { retries: { inProgressReads: 5, final: 'success' } })
    const run = await act(sim, oauthInputs(sim, { 'run-id': runId, ...waitInputs('300ms', '10s') }))
    expect(run.code).toBe(0)
    // Renewed ahead of time: the simulator never had to refuse an expired token.
    expect(run.stdout).not.toContain('access token refused (HTTP 401)')
    const flowServiceRequests = sim.requests.filter(r => r.route !== 'token').length
    expect(sim.count('token')).toBeGreaterThan(1)
    expect(sim.count('token')).toBeLessThan(flowServiceRequests)
  })

  it('with a static token that expires mid-wait, fails with a message recommending OAuth', async () => {
    const { runId } = failure(sim, { retries: { inProgressReads: 5, final: 'success' } })
    sim.fault('getRun', {}, tokenRefused)
    const run = await act(sim, staticInputs(sim, { 'run-id': runId, ...waiting }))
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /static tokens last 24 hours.*`client-id` and `client-secret`/s
    )
    expect(run.outputs['new-run-id']).toBeTruthy()
  })

  it('keeps polling through a burst of 503s and resets mid-wait', async () => {
    const { runId } = failure(sim, {
      retries: { inProgressReads: 1, final: 'success', records: 3 }
    })
    sim.fault(
      'getRun',
      {},
      { status: 503 },
      { status: 503, headers: { 'retry-after': '0' } },
      { reset: 'before' },
      { status: 502, body: '<html><title>502 Bad Gateway</title></html>' }
    )
    const run = await act(
      sim,
      staticInputs(sim, { 'run-id': runId, ...waitInputs('100ms', '10s') })
    )
    expect(run.code).toBe(0)
    expect(run.outputs.status).toBe('success')
    expect(run.warnings.join('\n')).toContain('502 Bad Gateway')
  })

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'stops within two seconds on %s, writing outputs and the summary so far',
    async signal => {
      const { runId } = failure(sim, { retries: { inProgressReads: Infinity } })
      let sentAt = 0
      const run = await act(
        sim,
        staticInputs(sim, { 'run-id': runId, ...waitInputs('200ms', '30s') }),
        {
          onSpawn: child =>
            void (async () => {
              while (newRunReads(sim, runId) < 2) await new Promise(r => setTimeout(r, 20))
              sentAt = performance.now()
              child.kill(signal)
            })()
        }
      )
      expect(run.code).toBe(1)
      expect(run.outputs['new-run-id']).toBeTruthy()
      expect(run.summary).toContain('cancelled')
      expect(run.errors.join('\n')).toContain('Cancelled')
      expect(sentAt).toBeGreaterThan(0)
      // The wait had 30 s left: ending well before that means the signal, not the timeout, stopped
      // it (a margin a loaded machine's start-up fits in; the count of reads says the rest).
      expect(run.durationMs).toBeLessThan(15_000)
    }
  )
})
