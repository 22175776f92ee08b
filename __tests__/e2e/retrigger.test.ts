import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { Simulator } from '../../sim/simulator.js'
import {
  act,
  baseInputs,
  oauth,
  startSimulator,
  staticToken,
  STATIC_TOKEN
} from '../helpers/e2e.js'

let sim: Simulator
beforeEach(async () => {
  sim = await startSimulator()
})
afterEach(() => sim.stop())

describe('re-trigger one failed run (dist/index.js as a runner runs it)', () => {
  it('re-triggers with a static token and hands new-run-id and the etag, quotes included, to later steps', async () => {
    const runId = sim.addRun({ status: 'failed' })
    const run = await act(sim, { ...baseInputs(sim), ...staticToken(sim), 'run-id': runId })

    expect(run.code).toBe(0)
    const created = sim.runsOf(sim.run(runId)!.flowId as string).find(r => r.id !== runId)!
    expect(run.outputs['new-run-id']).toBe(created.id)
    expect(run.outputs.etag).toBe(created.eTag)
    expect(run.outputs.etag).toMatch(/^".+"$/)
    expect(run.outputs['previous-status']).toBe('failed')
    expect(sim.count('retrigger')).toBe(1)
    const post = sim.requests.find(r => r.route === 'retrigger')!
    expect(post.path).toBe(`/data/foundation/flowservice/runs/${runId}/action?op=re-trigger`)
    expect(post.headers).toMatchObject({
      authorization: `Bearer ${STATIC_TOKEN}`,
      'x-api-key': sim.apiKey,
      'x-gw-ims-org-id': sim.orgId,
      'x-sandbox-name': 'prod',
      'content-type': 'application/json'
    })
    expect(run.summary).toContain(created.id)
    expect(run.summary).toContain('Sandbox `prod`')
    expect(run.summary).toContain('https://github.com/acme/ingestion/actions/runs/1234567890')
  })

  it('exchanges OAuth Server-to-Server credentials at IMS, masks the token and uses it', async () => {
    const runId = sim.addRun()
    const run = await act(sim, { ...baseInputs(sim), ...oauth(sim), 'run-id': runId })

    expect(run.code).toBe(0)
    const tokenCall = sim.requests.find(r => r.route === 'token')!
    expect(tokenCall.headers['content-type']).toBe('application/x-www-form-urlencoded')
    const form = new URLSearchParams(tokenCall.body)
    expect(form.get('grant_type')).toBe('client_credentials')
    expect(form.get('scope')).toBe(
      'openid,AdobeID,read_organizations,additional_info.projectedProductContext,session'
    )
    const [token] = sim.issuedTokens
    expect(run.stdout).toContain(`::add-mask::${token}`)
    expect(run.stdout).toContain(`::add-mask::${sim.clientSecret}`)
    // The mask is issued before the token is ever used.
    expect(run.stdout.indexOf(`::add-mask::${token}`)).toBeLessThan(
      run.stdout.indexOf('Re-triggered')
    )
    expect(sim.requests.find(r => r.route === 'retrigger')!.headers.authorization).toBe(
      `Bearer ${token}`
    )
    expect(sim.requests.find(r => r.route === 'retrigger')!.headers['x-api-key']).toBe(sim.apiKey)
  })

  it('skips the pre-check read with check-status: false and goes straight to the POST', async () => {
    const runId = sim.addRun()
    const run = await act(sim, {
      ...baseInputs(sim),
      ...staticToken(sim),
      'run-id': runId,
      'check-status': 'false'
    })
    expect(run.code).toBe(0)
    expect(sim.requests.map(r => r.route)).toEqual(['retrigger'])
  })

  it('reports 404 with Adobe code, text, request id and what to check, and sends no POST', async () => {
    const missing = '4fb0418e-1804-45d6-8d56-dd51f05c0baf'
    const run = await act(sim, { ...baseInputs(sim), ...staticToken(sim), 'run-id': missing })
    expect(run.code).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toContain('HTTP 404 FLOW-1101-404')
    expect(run.errors[0]).toContain('Resource not found')
    expect(run.errors[0]).toMatch(/request id req-4fb0418e/)
    expect(run.errors[0]).toContain(`Run ${missing} was not found in sandbox "prod"`)
    expect(sim.count('retrigger')).toBe(0)
  })

  it('reports 404 on the POST itself when the pre-check is off', async () => {
    const run = await act(sim, {
      ...baseInputs(sim),
      ...staticToken(sim),
      'run-id': '4fb0418e-1804-45d6-8d56-dd51f05c0baf',
      'check-status': 'false'
    })
    expect(run.code).toBe(1)
    expect(run.errors[0]).toMatch(/Re-triggering run .* failed: HTTP 404 FLOW-1101-404/)
  })

  it('explains a 401 for a static token: expired or wrong, use OAuth credentials', async () => {
    const runId = sim.addRun()
    const run = await act(sim, {
      ...baseInputs(sim),
      'access-token': 'expired-token',
      'api-key': sim.apiKey,
      'run-id': runId
    })
    expect(run.code).toBe(1)
    expect(run.errors[0]).toContain('HTTP 401 401013: Oauth token is not valid')
    expect(run.errors[0]).toContain('`client-id` and `client-secret`')
    expect(sim.count('retrigger')).toBe(0)
  })

  it.each([
    [429, { 'retry-after': '1' }],
    [503, {}]
  ])(
    'retries a %i (not processed) and then succeeds, with exactly one new run',
    async (status, headers) => {
      const runId = sim.addRun()
      sim.fault('retrigger', { status, headers })
      const run = await act(sim, { ...baseInputs(sim), ...staticToken(sim), 'run-id': runId })
      expect(run.code).toBe(0)
      expect(sim.count('retrigger')).toBe(2)
      expect(sim.runsOf(sim.run(runId)!.flowId as string)).toHaveLength(2)
      expect(run.stdout).toMatch(new RegExp(`HTTP ${status}; retrying in`))
      expect(run.outputs['new-run-id']).toBeTruthy()
    }
  )

  // One input refusal through the bundle: the annotation on the wire, exit code 1, nothing sent.
  // Every other refusal (no credentials, plain http, header injection, ...) is a row of the
  // in-process table in __tests__/integration/refusals.test.ts.
  it('rejects a run id that is not a UUID, naming the input, and sends nothing', async () => {
    const run = await act(sim, {
      ...baseInputs(sim),
      ...staticToken(sim),
      'run-id': '../../flows/abc'
    })
    expect(run.code).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toContain('`run-id` must hold UUIDs')
    expect(run.errors[0]).toContain('"../../flows/abc"')
    expect(sim.requests).toHaveLength(0)
  })
})
