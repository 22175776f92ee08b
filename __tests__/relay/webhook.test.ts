// The relay as a plain I/O Events webhook, over HTTP on loopback (relay/src/aep/http.ts turns requests
// into a raw HTTP web action's parameters): the challenge, both digital signatures against the
// Adobe key-domain stand-in, key paths, recipient_client_id, sizes, and the time one event takes.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { GitHubDispatchStandIn } from '../../sim/github-dispatch.js'
import { LoopbackServer } from '../../sim/loopback.js'
import { webhookListener } from '../../relay/src/http.js'
import { main } from '../../relay/src/index.js'
import { clearKeyCache } from '../../relay/src/signature.js'
import {
  AdobeKeyStandIn,
  answerOf,
  captureConsole,
  CLIENT_ID,
  EVENT_ID,
  failedRun,
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
  clearKeyCache()
  keys.requests.length = 0
  keys.failWith = undefined
  github.dispatches.length = 0
  github.requests.length = 0
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
    const res = await post(body, signedHeaders(body, key1, key2))
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

  it('a body over MAX_BODY_BYTES: 413 before anything is verified', async () => {
    const body = bodyOf(failedRun({ flowName: 'x'.repeat(70_000) }))
    const res = await post(body, signedHeaders(body, key1, key2))
    expect(res.status).toBe(413)
    expect(keys.requests).toHaveLength(0)
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

describe('time from one event to its dispatch through the stand-ins', () => {
  it('is measured (webhook, cold and warm key cache; Runtime consumer)', async () => {
    const body = bodyOf(failedRun())
    const headers = signedHeaders(body, key1, key2)
    const time = async (f: () => Promise<unknown>) => {
      const t = process.hrtime.bigint()
      await f()
      return Number(process.hrtime.bigint() - t) / 1e6
    }
    const cold = await time(() => post(body, headers))
    const warm: number[] = []
    for (let i = 0; i < 10; i++) warm.push(await time(() => post(body, headers)))
    const consumer: number[] = []
    for (let i = 0; i < 10; i++)
      consumer.push(await time(() => main({ ...settings(), ...failedRun() })))
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
