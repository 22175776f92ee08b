// The relay as a plain I/O Events webhook, over HTTP on loopback (relay/src/aep/http.ts turns requests
// into a raw HTTP web action's parameters): the challenge, both digital signatures against the
// Adobe key-domain stand-in, key paths, recipient_client_id, sizes, and the time one event takes.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { GitHubDispatchStandIn } from '../../sim/github-dispatch.js'
import { LoopbackServer } from '../../sim/loopback.js'
import { webhookListener } from '../../relay/src/http.js'
import { main } from '../../relay/src/index.js'
import { forgetDispatched } from '../../relay/src/memo.js'
import { clearKeyCache } from '../../relay/src/signature.js'
import {
  AdobeKeyStandIn,
  answerOf,
  captureConsole,
  CLIENT_ID,
  EVENT_ID,
  failedRun,
  failureBatch,
  KEY1_PATH,
  KEY2_PATH,
  keyPair,
  messagesEnvelope,
  ORG,
  RUN_ID,
  sign,
  signedHeaders,
  Tripwire,
  type KeyPair,
  type RelayBody
} from './stand-ins.js'

let key1: KeyPair, key2: KeyPair, rogue: KeyPair
let keys: AdobeKeyStandIn
let github: GitHubDispatchStandIn
let tripwire: Tripwire
let relay: LoopbackServer
let console_: ReturnType<typeof captureConsole>

const settings = () => ({
  GITHUB_TOKEN: github.token,
  GITHUB_REPOSITORY: github.repository,
  ALLOWED_IMS_ORGS: ORG,
  ALLOWED_SANDBOXES: 'prod',
  IO_EVENTS_CLIENT_ID: CLIENT_ID,
  GITHUB_API_URL: github.url,
  TEST_ONLY_ADOBE_KEY_ORIGIN: keys.url,
  TIME_LIMIT_MS: 3000
})

beforeAll(async () => {
  ;[key1, key2, rogue] = await Promise.all([keyPair(), keyPair(), keyPair()])
  keys = await new AdobeKeyStandIn([
    [KEY1_PATH, key1],
    [KEY2_PATH, key2]
  ]).start()
  github = await new GitHubDispatchStandIn().start()
  tripwire = await new Tripwire().start()
  relay = new LoopbackServer(webhookListener(settings()))
  await relay.start()
})
afterAll(async () => {
  await Promise.all([relay.stop(), keys.stop(), github.stop(), tripwire.stop()])
})
beforeEach(() => {
  // Each test is a fresh container: nothing remembered as dispatched.
  forgetDispatched()
  clearKeyCache()
  keys.requests.length = 0
  keys.failWith = undefined
  github.dispatches.length = 0
  github.requests.length = 0
  github.delayMs = 0
  github.maxInFlight = 0
  github.refuseIf = undefined
  tripwire.hits.length = 0
  console_ = captureConsole()
})
afterEach(() => {
  console_.restore()
  for (const line of console_.lines) expect(line).not.toContain(github.token)
})

/** A delivery as I/O Events makes it: the body, as sent, with recipient_client_id added. */
const bodyOf = (event: unknown) =>
  JSON.stringify(
    Array.isArray(event)
      ? event.map(e => ({ ...(e as object), recipient_client_id: CLIENT_ID }))
      : { ...(event as object), recipient_client_id: CLIENT_ID }
  )

async function post(body: string, headers: Record<string, string>) {
  const res = await fetch(`${relay.url}/`, { method: 'POST', headers, body })
  const text = await res.text()
  expect(text).not.toContain(github.token)
  return { status: res.status, body: JSON.parse(text) as RelayBody }
}

describe('the challenge', () => {
  it('a GET with ?challenge= is answered with it, as JSON', async () => {
    const res = await fetch(`${relay.url}/?challenge=8ec8d794-e0ab-42df-9017-e3dada8e84f7`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({ challenge: '8ec8d794-e0ab-42df-9017-e3dada8e84f7' })
  })

  it('a GET without one, or with markup in it, is refused', async () => {
    expect((await fetch(`${relay.url}/`)).status).toBe(400)
    expect((await fetch(`${relay.url}/?challenge=%3Cscript%3E`)).status).toBe(400)
  })

  it('the non-raw web action form (challenge as a parameter) too', async () => {
    const answer = answerOf(await main({ __ow_method: 'get', challenge: 'abc-123' }))
    expect(answer).toMatchObject({ statusCode: 200, body: { challenge: 'abc-123' } })
  })
})

describe('digital signatures', () => {
  it('both valid: dispatched', async () => {
    const body = bodyOf(failedRun())
    const res = await post(body, {
      ...signedHeaders(body, key1, key2),
      'x-adobe-event-id': EVENT_ID
    })
    expect(res.status).toBe(200)
    expect(github.dispatches).toHaveLength(1)
    expect(github.dispatches[0].clientPayload).toMatchObject({ runId: RUN_ID, eventId: EVENT_ID })
    expect(keys.requests.sort()).toEqual([KEY1_PATH, KEY2_PATH].sort())
  })

  it('signature 1 forged, signature 2 valid: dispatched (one valid is enough, as Adobe says)', async () => {
    const body = bodyOf(failedRun())
    const res = await post(body, signedHeaders(body, rogue, key2))
    expect(res.status).toBe(200)
    expect(github.dispatches).toHaveLength(1)
  })

  it('signature 1 valid, signature 2 not base64: dispatched', async () => {
    const body = bodyOf(failedRun())
    const res = await post(body, signedHeaders(body, key1, '!!not base64!!'))
    expect(res.status).toBe(200)
    expect(github.dispatches).toHaveLength(1)
  })

  it('both forged: 401, nothing dispatched', async () => {
    const body = bodyOf(failedRun())
    const res = await post(body, signedHeaders(body, rogue, rogue))
    expect(res.status).toBe(401)
    expect(res.body.reason).toMatch(/no valid signature/)
    expect(github.requests).toHaveLength(0)
  })

  it('valid signatures of another body (tampered in transit): 401', async () => {
    const signedBody = bodyOf(failedRun())
    const sent = bodyOf(failedRun({ flowId: '00000000-0000-4000-8000-000000000000' }))
    const res = await post(sent, signedHeaders(signedBody, key1, key2))
    expect(res.status).toBe(401)
    expect(github.requests).toHaveLength(0)
  })

  it('a signature header missing: 401', async () => {
    const body = bodyOf(failedRun())
    const headers = signedHeaders(body, key1, key2)
    delete headers['x-adobe-digital-signature-2']
    const res = await post(body, headers)
    expect(res.status).toBe(401)
    expect(res.body.reason).toMatch(/missing I\/O Events headers: x-adobe-digital-signature-2/)
  })

  it('no signatures at all: 401', async () => {
    const body = bodyOf(failedRun())
    const res = await post(body, { 'content-type': 'application/json' })
    expect(res.status).toBe(401)
    expect(github.requests).toHaveLength(0)
  })

  it.each([
    ['an absolute URL', (u: string) => `${u}/prod/keys/pub-key-rogue.pem`],
    ['a protocol-relative URL', (u: string) => `//${new URL(u).host}/prod/keys/k.pem`],
    ['a path climbing out with ..', () => '/prod/keys/../../../rogue/k.pem'],
    ['an encoded ..', () => '/prod/keys/%2e%2e/k.pem'],
    ['a path without the leading /', () => 'prod/keys/pub-key-StandIn0001.pem'],
    ['a user@host path', (u: string) => `/@${new URL(u).host}/k.pem`],
    ['a backslash path', () => '/\\\\evil.example\\k.pem']
  ])('a key path that is %s: 401, nothing fetched from anywhere', async (_what, path) => {
    // The rogue key is served by the tripwire host; the relay must never ask it.
    const body = bodyOf(failedRun())
    const res = await post(body, signedHeaders(body, rogue, rogue, { path1: path(tripwire.url) }))
    expect(res.status).toBe(401)
    expect(res.body.reason).toMatch(/x-adobe-public-key1-path/)
    expect(tripwire.hits).toHaveLength(0)
    expect(keys.requests).toHaveLength(0)
    expect(github.requests).toHaveLength(0)
  })

  it('a key path Adobe does not serve (404): that signature fails; the other may still verify', async () => {
    const body = bodyOf(failedRun())
    const forged = await post(
      body,
      signedHeaders(body, rogue, rogue, { path1: '/prod/keys/x.pem' })
    )
    expect(forged.status).toBe(401)
    const real = await post(body, signedHeaders(body, rogue, key2, { path1: '/prod/keys/x.pem' }))
    expect(real.status).toBe(200)
  })

  it('the key domain down (5xx): 503, so Adobe redelivers', async () => {
    keys.failWith = 503
    const body = bodyOf(failedRun())
    const res = await post(body, signedHeaders(body, key1, key2))
    expect(res.status).toBe(503)
    expect(github.requests).toHaveLength(0)
  })

  it('keys are cached: a second delivery fetches nothing', async () => {
    const body = bodyOf(failedRun())
    await post(body, signedHeaders(body, key1, key2))
    const fetched = keys.requests.length
    const other = bodyOf(failedRun({ id: '0b7e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a5b' }))
    const res = await post(other, signedHeaders(other, key1, key2))
    expect(res.status).toBe(200)
    expect(keys.requests).toHaveLength(fetched)
    expect(github.dispatches).toHaveLength(2)
  })
})

describe('recipient, shapes and sizes', () => {
  it('recipient_client_id of another client: 403', async () => {
    const body = JSON.stringify({ ...failedRun(), recipient_client_id: 'another-client' })
    const res = await post(body, signedHeaders(body, key1, key2))
    expect(res.status).toBe(403)
    expect(github.requests).toHaveLength(0)
  })

  it('no recipient_client_id: 403', async () => {
    const body = JSON.stringify(failedRun())
    const res = await post(body, signedHeaders(body, key1, key2))
    expect(res.status).toBe(403)
  })

  it('the [{messages}] list, every element addressed to this client: dispatched', async () => {
    const body = bodyOf(messagesEnvelope())
    const res = await post(body, signedHeaders(body, key1, key2))
    expect(res.status).toBe(200)
    expect(github.dispatches).toHaveLength(1)
  })

  it('the Delay alert, signed: 200, ignored, nothing dispatched', async () => {
    const body = bodyOf({ ...failedRun(), flowRunId: RUN_ID, status: 'FIRING' })
    const res = await post(body, signedHeaders(body, key1, key2))
    expect(res.status).toBe(200)
    expect(res.body.result).toBe('ignored')
    expect(github.requests).toHaveLength(0)
  })

  it('a body over Adobe\u2019s 2 MB batch (3 MB): 413 before anything is verified', async () => {
    const body = bodyOf(failedRun({ flowName: 'x'.repeat(3_000_000) }))
    const res = await post(body, signedHeaders(body, key1, key2))
    expect(res.status).toBe(413)
    expect(keys.requests).toHaveLength(0)
    expect(github.requests).toHaveLength(0)
  })

  it('signed JSON that is not JSON: 400', async () => {
    const body = '{"id": '
    const res = await post(body, signedHeaders(body, key1, key2))
    expect(res.status).toBe(400)
  })

  it('a web action without raw HTTP (no __ow_body): 400 saying how to deploy it', async () => {
    const answer = answerOf(
      await main({ ...settings(), __ow_method: 'post', __ow_headers: {}, ...failedRun() })
    )
    expect(answer.statusCode).toBe(400)
    expect(answer.body.reason).toMatch(/web: raw/)
  })

  it('__ow_body given as text rather than base64 is read as is', async () => {
    const body = bodyOf(failedRun())
    const answer = answerOf(
      await main({
        ...settings(),
        __ow_method: 'post',
        __ow_headers: signedHeaders(body, key1, key2),
        __ow_body: body
      })
    )
    expect(answer.statusCode).toBe(200)
    expect(github.dispatches).toHaveLength(1)
  })

  it('a webhook without IO_EVENTS_CLIENT_ID is misconfigured: 500', async () => {
    const body = bodyOf(failedRun())
    const answer = answerOf(
      await main({
        ...settings(),
        IO_EVENTS_CLIENT_ID: undefined,
        __ow_method: 'post',
        __ow_headers: signedHeaders(body, key1, key2),
        __ow_body: Buffer.from(body).toString('base64')
      })
    )
    expect(answer.statusCode).toBe(500)
    expect(github.requests).toHaveLength(0)
  })

  it('other methods: 405', async () => {
    const res = await fetch(`${relay.url}/`, { method: 'PUT', body: '{}' })
    expect(res.status).toBe(405)
  })
})

describe("Adobe's batches (up to 20 events and 2 MB; only 429 and 5xx are redelivered)", () => {
  const dispatchCounts = (runIds: string[]) =>
    runIds.map(id => github.dispatches.filter(d => d.clientPayload.runId === id).length)
  /** main() as I/O Runtime calls the raw web action, with the relay's default time limit. */
  const deliverBatch = async (body: string, extra: Record<string, unknown> = {}) => {
    const result = await main(
      {
        ...settings(),
        TIME_LIMIT_MS: undefined,
        ...extra,
        __ow_method: 'post',
        __ow_headers: signedHeaders(body, key1, key2),
        __ow_body: Buffer.from(body).toString('base64')
      },
      { backoffBaseMs: 20 }
    )
    expect(JSON.stringify(result)).not.toContain(github.token)
    return answerOf(result)
  }

  it('a genuine 20-failure batch of about 67 KB is accepted and all 20 dispatched', async () => {
    const { events, runIds } = failureBatch(20, 3350)
    const body = bodyOf(events)
    expect(body.length).toBeGreaterThan(64 * 1024)
    expect(body.length).toBeLessThan(70_000)
    const res = await post(body, signedHeaders(body, key1, key2))
    expect(res.status).toBe(200)
    expect(res.body.dispatched).toHaveLength(20)
    expect(dispatchCounts(runIds)).toEqual(runIds.map(() => 1))
  })

  it('a batch just under 2 MB (20 failures with long connector errors) is accepted', async () => {
    const { events, runIds } = failureBatch(20, 97_000)
    const body = bodyOf(events)
    expect(body.length).toBeGreaterThan(1_900_000)
    expect(body.length).toBeLessThan(2_000_000)
    const res = await post(body, signedHeaders(body, key1, key2))
    expect(res.status).toBe(200)
    expect(dispatchCounts(runIds)).toEqual(runIds.map(() => 1))
  })

  it('with GitHub taking 450 ms per dispatch, 20 runs are dispatched within the limit, 8 at most at once', async () => {
    // One at a time this is 9 s, past the 8 s limit; side by side it is 3 rounds. Counted, not
    // timed: the answer is 200 only if every dispatch was made before the deadline.
    github.delayMs = 450
    const { events, runIds } = failureBatch(20)
    const answer = await deliverBatch(bodyOf(events))
    expect(answer.statusCode).toBe(200)
    expect(answer.body.dispatched).toHaveLength(20)
    expect(dispatchCounts(runIds)).toEqual(runIds.map(() => 1))
    expect(github.maxInFlight).toBeGreaterThan(1)
    expect(github.maxInFlight).toBeLessThanOrEqual(8)
  }, 30_000)

  it('a partial failure (5xx, so Adobe redelivers), then the redelivery: every run dispatched exactly once', async () => {
    const { events, runIds } = failureBatch(20)
    const failing = new Set(runIds.slice(15))
    github.refuseIf = payload =>
      failing.has(payload.runId as string) ? { status: 503 } : undefined
    const body = bodyOf(events)
    const first = await deliverBatch(body, { TIME_LIMIT_MS: 3000 })
    expect(first.statusCode).toBe(503)
    expect(first.body.result).toBe('failed')
    const sent = first.body.dispatched.map(d => d.runId)
    expect(sent.length).toBeGreaterThan(0)
    for (const id of failing) expect(sent).not.toContain(id)

    // GitHub is back; Adobe redelivers the same batch.
    github.refuseIf = undefined
    const again = await deliverBatch(body)
    expect(again.statusCode).toBe(200)
    expect(dispatchCounts(runIds)).toEqual(runIds.map(() => 1))
    expect(again.body.alreadyDispatched.sort()).toEqual([...sent].sort())
    expect(first.body.reason).toMatch(/Adobe redelivers/)
    expect(console_.lines.some(l => /was already dispatched by this relay/.test(l))).toBe(true)
  }, 30_000)

  it('GitHub refusing the token mid-batch is a 5xx (retried by Adobe), never a 4xx', async () => {
    const { events, runIds } = failureBatch(20)
    github.refuseIf = payload => (payload.runId === runIds[3] ? { status: 401 } : undefined)
    const body = bodyOf(events)
    const first = await deliverBatch(body)
    expect(first.statusCode).toBe(502)
    expect(first.body.reason).toMatch(/refused the token \(401\)/)
    github.refuseIf = undefined
    const again = await deliverBatch(body)
    expect(again.statusCode).toBe(200)
    expect(dispatchCounts(runIds)).toEqual(runIds.map(() => 1))
  }, 30_000)

  /** A 20-failure batch whose 8th event has no readable run id (a malformed event). */
  const batchWithOneMalformed = () => {
    const { events, runIds } = failureBatch(20)
    const bad = events[7] as { id: string; data: Record<string, unknown> }
    bad.data = { ...bad.data, id: 'not-a-run\u001b[2J' }
    return { body: bodyOf(events), valid: runIds.filter((_, i) => i !== 7), badEventId: bad.id }
  }

  it('a 20-event batch with one malformed event: the 19 others dispatched, 200 naming the skipped one', async () => {
    const { body, valid, badEventId } = batchWithOneMalformed()
    const res = await post(body, signedHeaders(body, key1, key2))
    expect(res.status).toBe(200)
    expect(res.body.result).toBe('dispatched')
    expect(res.body.dispatched.map(d => d.runId).sort()).toEqual([...valid].sort())
    expect(dispatchCounts(valid)).toEqual(valid.map(() => 1))
    expect(github.dispatches).toHaveLength(19)
    expect(res.body.skipped).toEqual([
      {
        event: '$[7].data',
        eventId: badEventId,
        runId: null,
        reason: "the run id (id) is not a UUID: 'not-a-run\ufffd[2J'"
      }
    ])
    const logged = console_.lines.filter(l => l.startsWith('aep-relay: skipped'))
    expect(logged).toEqual([
      `aep-relay: skipped $[7].data (event ${badEventId}): the run id (id) is not a UUID: 'not-a-run\ufffd[2J'`
    ])

    // Adobe delivers at least once: the same batch again dispatches nothing more.
    const again = await post(body, signedHeaders(body, key1, key2))
    expect(again.status).toBe(200)
    expect(again.body.dispatched).toEqual([])
    expect(again.body.alreadyDispatched.sort()).toEqual([...valid].sort())
    expect(again.body.skipped).toEqual(res.body.skipped)
    expect(github.dispatches).toHaveLength(19)
  })

  it('a malformed event and GitHub failing some runs: 503 listing both; the redelivery sends only the rest', async () => {
    const { body, valid } = batchWithOneMalformed()
    const failing = new Set(valid.slice(15))
    github.refuseIf = payload =>
      failing.has(payload.runId as string) ? { status: 503 } : undefined
    const first = await deliverBatch(body, { TIME_LIMIT_MS: 3000 })
    expect(first.statusCode).toBe(503)
    expect(first.body.skipped).toHaveLength(1)
    for (const id of failing) expect(first.body.notDispatched).toContain(id)

    github.refuseIf = undefined
    const again = await deliverBatch(body)
    expect(again.statusCode).toBe(200)
    expect(again.body.skipped).toHaveLength(1)
    expect(dispatchCounts(valid)).toEqual(valid.map(() => 1))
    expect(github.dispatches).toHaveLength(19)
  }, 30_000)

  it('a signed delivery with nothing readable in it: 200, every event skipped (a redelivery could not help)', async () => {
    const body = bodyOf([{ hello: 'world' }, failedRun({ flowId: 'x' })])
    const res = await post(body, signedHeaders(body, key1, key2))
    expect(res.status).toBe(200)
    expect(res.body.result).toBe('skipped')
    expect(res.body.skipped.map(s => s.event)).toEqual(['$[0]', '$[1]'])
    expect(github.requests).toHaveLength(0)
  })

  it('more than 25 events cannot be a batch of Adobe\u2019s (20 at most): 413', async () => {
    const { events } = failureBatch(26)
    const body = bodyOf(events)
    const res = await post(body, signedHeaders(body, key1, key2))
    expect(res.status).toBe(413)
    expect(github.requests).toHaveLength(0)
  })
})

describe('time from one event to its dispatch through the stand-ins', () => {
  it('is measured (webhook, cold and warm key cache; Runtime consumer)', async () => {
    // A run of its own for each delivery (the relay does not dispatch a run twice), signed ahead.
    const { runIds } = failureBatch(21)
    const deliveries = runIds.slice(0, 11).map(id => {
      const body = bodyOf(failedRun({ id }))
      return { body, headers: signedHeaders(body, key1, key2) }
    })
    const time = async (f: () => Promise<unknown>) => {
      const t = process.hrtime.bigint()
      await f()
      return Number(process.hrtime.bigint() - t) / 1e6
    }
    const cold = await time(() => post(deliveries[0].body, deliveries[0].headers))
    const warm: number[] = []
    for (const d of deliveries.slice(1)) warm.push(await time(() => post(d.body, d.headers)))
    const consumer: number[] = []
    for (const id of runIds.slice(11))
      consumer.push(await time(() => main({ ...settings(), ...failedRun({ id }) })))
    expect(github.dispatches).toHaveLength(21)
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
    const gaps = github.dispatches.map(d => d.at)
    expect(gaps).toHaveLength(21)
    console_.restore()
    console.info(
      `relay timing (event in -> dispatch recorded -> answer): webhook cold ${cold.toFixed(1)} ms, ` +
        `webhook warm median ${median(warm).toFixed(1)} ms, ` +
        `Runtime consumer median ${median(consumer).toFixed(1)} ms`
    )
    expect(cold).toBeLessThan(2000)
    expect(median(warm)).toBeLessThan(500)
  })
})

// Signing helper sanity: what the stand-in signs verifies with its public key only.
it('the signing helpers sign as I/O Events does (RSA-SHA256, base64)', () => {
  const sig = sign('{}', key1)
  expect(Buffer.from(sig, 'base64')).toHaveLength(256)
})
