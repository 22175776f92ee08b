// The relay as a Runtime consumer: main(params) called in-process with the event as parameters,
// against the GitHub dispatch stand-in on loopback. Envelopes, alerts, allow-lists, validation.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { GitHubDispatchStandIn } from '../../sim/github-dispatch.js'
import { main } from '../../relay/src/index.js'
import { forgetDispatched } from '../../relay/src/memo.js'
import {
  alert,
  answerOf,
  captureConsole,
  EVENT_ID,
  eventEnvelope,
  failedRun,
  FLOW_ID,
  messagesEnvelope,
  ORG,
  RUN_ID,
  UPDATED_AT
} from './stand-ins.js'

let github: GitHubDispatchStandIn
let console_: ReturnType<typeof captureConsole>
beforeAll(async () => {
  github = await new GitHubDispatchStandIn().start()
})
afterAll(() => github.stop())
beforeEach(() => {
  // Each test is a fresh container: nothing remembered as dispatched.
  forgetDispatched()
  github.dispatches.length = 0
  github.requests.length = 0
  console_ = captureConsole()
})
afterEach(() => {
  console_.restore()
  // Whatever a test did, the token is in no log line and was sent nowhere but the header.
  for (const line of console_.lines) expect(line).not.toContain(github.token)
  for (const r of github.requests) expect(r.body).not.toContain(github.token)
})

const settings = (extra: Record<string, unknown> = {}) => ({
  GITHUB_TOKEN: github.token,
  GITHUB_REPOSITORY: github.repository,
  ALLOWED_IMS_ORGS: ORG,
  ALLOWED_SANDBOXES: 'prod, stage',
  GITHUB_API_URL: github.url,
  TIME_LIMIT_MS: 3000,
  ...extra
})
/** Invokes the relay as I/O Runtime does for a Runtime-action registration. */
const deliver = async (event: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
  const result = await main({ ...settings(extra), ...event })
  expect(JSON.stringify(result)).not.toContain(github.token)
  return answerOf(result)
}

const expectedPayload = (eventId: string | null) => ({
  runId: RUN_ID,
  flowId: FLOW_ID,
  flowName: 'Nightly S3 customers',
  sandbox: 'prod',
  orgId: ORG,
  eventId,
  at: new Date(UPDATED_AT).toISOString()
})

describe('the three envelopes Adobe has used', () => {
  it('1. the run object itself: one dispatch with the payload', async () => {
    const answer = await deliver(failedRun())
    expect(answer.statusCode).toBe(200)
    expect(answer.body).toMatchObject({ result: 'dispatched', dispatched: [{ runId: RUN_ID }] })
    expect(github.dispatches).toHaveLength(1)
    expect(github.dispatches[0].eventType).toBe('aep-flow-run-failed')
    expect(github.dispatches[0].clientPayload).toEqual(expectedPayload(null))
    expect(Object.keys(github.dispatches[0].clientPayload).length).toBeLessThanOrEqual(10)
    expect(github.requests[0].authorization).toBe(`Bearer ${github.token}`)
    expect(console_.lines.join('\n')).toMatch(/dispatched aep-flow-run-failed .* run d9024c32/)
  })

  it('2. {event_id, event}: one dispatch, the event id passed on', async () => {
    const answer = await deliver(eventEnvelope())
    expect(answer.statusCode).toBe(200)
    expect(github.dispatches.map(d => d.clientPayload)).toEqual([expectedPayload(EVENT_ID)])
  })

  it('3. [{messages:[{_eventNotificationMeta, value}]}] (inside a CloudEvent): one dispatch', async () => {
    const cloudEvent = {
      specversion: '1.0',
      id: EVENT_ID,
      source: 'urn:uuid:00000000-0000-0000-0000-000000000000',
      type: 'source_flow_run_error',
      time: '2020-08-14T19:42:37.622Z',
      data: messagesEnvelope()
    }
    const answer = await deliver(cloudEvent)
    expect(answer.statusCode).toBe(200)
    expect(github.dispatches.map(d => d.clientPayload)).toEqual([expectedPayload(EVENT_ID)])
  })

  it('a CloudEvent around the run object: the CloudEvent id is the event id', async () => {
    const answer = await deliver({ specversion: '1.0', id: EVENT_ID, data: failedRun() })
    expect(answer.statusCode).toBe(200)
    expect(github.dispatches[0].clientPayload).toEqual(expectedPayload(EVENT_ID))
  })

  it('the same run twice in one delivery is dispatched once', async () => {
    const data = [...messagesEnvelope(), ...messagesEnvelope()]
    const answer = await deliver({ specversion: '1.0', id: EVENT_ID, data })
    expect(answer.statusCode).toBe(200)
    expect(github.dispatches).toHaveLength(1)
  })
})

describe('what is not a run failure is ignored, with the reason, and answered 200', () => {
  it.each(['delay', 'error-rate'] as const)('the %s alert (flowRunId, FIRING)', async name => {
    const answer = await deliver(alert(name))
    expect(answer.statusCode).toBe(200)
    expect(answer.body.result).toBe('ignored')
    expect(answer.body.ignored[0]).toMatch(/Delay or Error-Rate alert .*FIRING.*not a run failure/)
    expect(github.requests).toHaveLength(0)
    expect(console_.lines.some(l => /ignored: a Delay or Error-Rate alert/.test(l))).toBe(true)
  })

  it('an alert inside a CloudEvent', async () => {
    const answer = await deliver({ specversion: '1.0', id: EVENT_ID, data: alert('delay') })
    expect(answer.statusCode).toBe(200)
    expect(answer.body.ignored).toHaveLength(1)
    expect(github.requests).toHaveLength(0)
  })

  it('a successful run ({event_id, event} with sources_flow_run_success)', async () => {
    const run = failedRun({
      metrics: { statusSummary: { status: 'success' } },
      header: { _adobeio: { eventCode: 'sources_flow_run_success' } }
    })
    const answer = await deliver(eventEnvelope(run))
    expect(answer.statusCode).toBe(200)
    expect(answer.body.ignored[0]).toMatch(/event code 'sources_flow_run_success'/)
    expect(github.requests).toHaveLength(0)
  })

  it('a notification of another type', async () => {
    const data = messagesEnvelope(failedRun(), 'sources_flow_run_success')
    const answer = await deliver({ specversion: '1.0', id: EVENT_ID, data })
    expect(answer.statusCode).toBe(200)
    expect(answer.body.ignored[0]).toMatch(/notification type 'sources_flow_run_success'/)
    expect(github.requests).toHaveLength(0)
  })

  it('a run of a sandbox not on the allow-list (a genuine event: 200, so Adobe does not retry)', async () => {
    const answer = await deliver(failedRun({ sandboxName: 'dev' }))
    expect(answer.statusCode).toBe(200)
    expect(answer.body.ignored[0]).toMatch(/sandbox 'dev' is not on this relay's allow-list/)
    expect(github.requests).toHaveLength(0)
  })
})

describe('an unreadable event is skipped on its own, listed with the reason; answered 200', () => {
  // A 4xx would make Adobe drop the whole delivery, the valid runs in it too; a redelivery (5xx)
  // carries the same bytes and could never make the event readable.
  it('another IMS org: skipped, no dispatch', async () => {
    const answer = await deliver(failedRun({ imsOrgId: '0000000000000000000000AA@AdobeOrg' }))
    expect(answer.statusCode).toBe(200)
    expect(answer.body.result).toBe('skipped')
    expect(answer.body.skipped).toEqual([
      {
        event: '$',
        eventId: null,
        runId: RUN_ID,
        reason: expect.stringMatching(/IMS org .* is not on this relay's allow-list/)
      }
    ])
    expect(github.requests).toHaveLength(0)
    expect(console_.lines.some(l => /^aep-relay: skipped \$ \(run d9024c32.*IMS org/.test(l))).toBe(
      true
    )
  })

  it.each([
    ['a run id that is not a UUID', { id: 'd9024c32; rm -rf /' }, /run id/],
    ['a flow id that is not a UUID', { flowId: '../../flows' }, /flowId is not a UUID/],
    ['a sandbox with capitals', { sandboxName: 'Prod' }, /sandboxName/],
    ['a sandbox with a quote', { sandboxName: "prod'; echo" }, /sandboxName/],
    ['an org id that is not one', { imsOrgId: 'evil' }, /imsOrgId/],
    ['no run id', { id: undefined }, /run id/]
  ])('%s: skipped, no dispatch', async (_what, change, reason) => {
    const answer = await deliver(failedRun(change))
    expect(answer.statusCode).toBe(200)
    expect(answer.body.result).toBe('skipped')
    expect(answer.body.skipped).toHaveLength(1)
    expect(answer.body.skipped[0].reason).toMatch(reason)
    expect(github.requests).toHaveLength(0)
  })

  it('an event id that is not a UUID: skipped, neither the id nor its controls echoed', async () => {
    const answer = await deliver({ event_id: 'x\u001b[2J', event: failedRun() })
    expect(answer.statusCode).toBe(200)
    expect(answer.body.skipped[0]).toMatchObject({ event: '$.event', eventId: null })
    expect(answer.body.skipped[0].reason).toMatch(/event id is not a UUID/)
    expect(JSON.stringify(answer.body)).not.toContain('\u001b')
    for (const line of console_.lines) expect(line).not.toMatch(/\p{Cc}/u)
  })

  it('the run and its envelope naming different orgs: skipped', async () => {
    const data = messagesEnvelope(failedRun({ imsOrgId: '1111111111111111111111AA@AdobeOrg' }))
    const answer = await deliver({ specversion: '1.0', id: EVENT_ID, data })
    expect(answer.statusCode).toBe(200)
    expect(answer.body.skipped).toEqual([
      {
        event: '$.data[0].messages[0]',
        eventId: EVENT_ID,
        runId: RUN_ID,
        reason: 'the run and its envelope name different IMS orgs'
      }
    ])
    expect(github.requests).toHaveLength(0)
  })

  it('one bad event does not hold back the others: the good one dispatched, the bad one named', async () => {
    const data = [...messagesEnvelope(), ...messagesEnvelope(failedRun({ id: 'nope' }))]
    const answer = await deliver({ specversion: '1.0', id: EVENT_ID, data })
    expect(answer.statusCode).toBe(200)
    expect(answer.body.result).toBe('dispatched')
    expect(answer.body.dispatched).toEqual([{ runId: RUN_ID, flowId: FLOW_ID, sandbox: 'prod' }])
    expect(answer.body.skipped).toEqual([
      {
        event: '$.data[1].messages[0]',
        eventId: EVENT_ID,
        runId: null,
        reason: "the run id (id) is not a UUID: 'nope'"
      }
    ])
    expect(github.dispatches).toHaveLength(1)
  })

  it('something that is no event at all: skipped', async () => {
    const answer = await deliver({ hello: 'world' })
    expect(answer.statusCode).toBe(200)
    expect(answer.body.skipped[0].reason).toMatch(/neither a flow run, an alert nor an envelope/)
  })
})

describe("what cannot be a delivery of Adobe's for this relay is refused whole", () => {
  it('an event over MAX_BODY_BYTES (by default above Adobe\u2019s 2 MB batch): 413', async () => {
    const answer = await deliver(failedRun({ flowName: 'x'.repeat(3_000_000) }))
    expect(answer.statusCode).toBe(413)
    expect(github.requests).toHaveLength(0)
  })

  it('more than 25 events in one delivery: 413, none dispatched', async () => {
    const data = Array.from({ length: 26 }, () => failedRun())
    const answer = await deliver({ specversion: '1.0', id: EVENT_ID, data })
    expect(answer.statusCode).toBe(413)
    expect(github.requests).toHaveLength(0)
  })

  it('a recipient_client_id that is not the configured client id: 403', async () => {
    const event = { ...failedRun(), recipient_client_id: 'someone-else' }
    const answer = await deliver(event, { IO_EVENTS_CLIENT_ID: 'relay-client' })
    expect(answer.statusCode).toBe(403)
    expect(github.requests).toHaveLength(0)
  })
})

describe('server-sent text is data', () => {
  it('control characters and bidi marks in the flow name are neutralised, its size bounded', async () => {
    const flowName = `Nightly\u001b[31m\nFAKE LOG LINE\u202e\u2028 ${'y'.repeat(400)}`
    const answer = await deliver(failedRun({ flowName }))
    expect(answer.statusCode).toBe(200)
    const sent = github.dispatches[0].clientPayload.flowName as string
    expect(sent).not.toMatch(/[\p{Cc}\u2028\u202e]/u)
    expect(Array.from(sent).length).toBeLessThanOrEqual(256)
    expect(sent.startsWith('Nightly\ufffd[31m\ufffdFAKE LOG LINE')).toBe(true)
    for (const line of console_.lines) expect(line).not.toMatch(/\p{Cc}/u)
  })

  it('a token in the event is redacted from the payload, the answer and the logs', async () => {
    const answer = await deliver({ event_id: github.token, event: failedRun() })
    expect(answer.statusCode).toBe(200)
    expect(answer.body.skipped[0].reason).toContain('[redacted]')
    expect(JSON.stringify(answer)).not.toContain(github.token)
    const second = await deliver(failedRun({ flowName: `leak ${github.token}` }))
    expect(second.statusCode).toBe(200)
    expect(github.dispatches[0].clientPayload.flowName).toBe('leak [redacted]')
  })
})

describe('configuration', () => {
  it('missing settings: 500 (as an activation error), naming them, never the token', async () => {
    const result = await main({ ...failedRun(), GITHUB_TOKEN: github.token })
    expect('error' in result).toBe(true)
    const answer = answerOf(result)
    expect(answer.statusCode).toBe(500)
    expect(answer.body.reason).toMatch(/GITHUB_REPOSITORY.*ALLOWED_IMS_ORGS.*ALLOWED_SANDBOXES/)
    expect(JSON.stringify(result)).not.toContain(github.token)
  })

  it.each([
    ['GITHUB_API_URL', 'https://evil.example'],
    ['GITHUB_API_URL', 'http://127.0.0.1.evil.example:80'],
    ['TEST_ONLY_ADOBE_KEY_ORIGIN', 'https://static.adobeioevents.com.evil.example'],
    ['TEST_ONLY_ADOBE_KEY_ORIGIN', 'http://user@127.0.0.1:1']
  ])('%s=%s is refused: only loopback stand-ins may replace GitHub or Adobe', async (k, v) => {
    const answer = await deliver(failedRun(), { [k]: v })
    expect(answer.statusCode).toBe(500)
    expect(answer.body.reason).toContain(k)
    expect(github.requests).toHaveLength(0)
  })

  it('a token that is not one is refused without being echoed', async () => {
    const answer = answerOf(
      await main({ ...settings({ GITHUB_TOKEN: 'bad token\n' }), ...failedRun() })
    )
    expect(answer.statusCode).toBe(500)
    expect(JSON.stringify(answer)).not.toContain('bad token')
  })
})
