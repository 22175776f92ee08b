// The relay's dispatch to GitHub, against the dispatch stand-in on loopback: retries on 5xx and
// rate limits within the time limit, no retry on refusals, no redirect followed, the answer to
// Adobe (200 / 502 / 503), and the stand-in's own GitHub rules.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { GitHubDispatchStandIn } from '../../sim/github-dispatch.js'
import { LoopbackServer } from '../../sim/loopback.js'
import { main } from '../../relay/src/index.js'
import { forgetDispatched } from '../../relay/src/memo.js'
import { answerOf, captureConsole, failedRun, ORG, Tripwire } from './stand-ins.js'

let github: GitHubDispatchStandIn
let tripwire: Tripwire
let console_: ReturnType<typeof captureConsole>
beforeAll(async () => {
  github = await new GitHubDispatchStandIn().start()
  tripwire = await new Tripwire().start()
})
afterAll(async () => {
  await github.stop()
  await tripwire.stop()
})
beforeEach(() => {
  // Each test is a fresh container: nothing remembered as dispatched.
  forgetDispatched()
  github.dispatches.length = 0
  github.requests.length = 0
  github.refuseAlways = undefined
  tripwire.hits.length = 0
  console_ = captureConsole()
})
afterEach(() => {
  console_.restore()
  for (const line of console_.lines) expect(line).not.toContain(github.token)
})

// The back-off between retries after a 5xx or a network error in tenths (20 ms, doubling, instead
// of 200 ms): the tests count attempts and hold the time limit, they do not time the back-off.
const pacing = { backoffBaseMs: 20 }
const deliver = async (extra: Record<string, unknown> = {}) => {
  const started = Date.now()
  const result = await main(
    {
      GITHUB_TOKEN: github.token,
      GITHUB_REPOSITORY: github.repository,
      ALLOWED_IMS_ORGS: ORG,
      ALLOWED_SANDBOXES: 'prod',
      GITHUB_API_URL: github.url,
      TIME_LIMIT_MS: 4000,
      ...extra,
      ...failedRun()
    },
    pacing
  )
  expect(JSON.stringify(result)).not.toContain(github.token)
  return { ...answerOf(result), ms: Date.now() - started, raw: result }
}

describe('retries', () => {
  it('GitHub 503 then 204: one dispatch after a retry, 200 to Adobe', async () => {
    github.refuseNext({ status: 503 })
    const answer = await deliver()
    expect(answer.statusCode).toBe(200)
    expect(github.requests.map(r => r.status)).toEqual([503, 204])
    expect(github.dispatches).toHaveLength(1)
    expect(console_.lines.join('\n')).toMatch(/2 attempt\(s\)/)
  })

  // The waits asked for below are fractions of a second, so that they are quick to time: the
  // relay reads Retry-After (and X-RateLimit-Reset) as a number of seconds, whole or not.
  it('403 with retry-after: waits as asked, then dispatches', async () => {
    github.refuseNext({
      status: 403,
      headers: { 'retry-after': '0.1' },
      body: { message: 'You have exceeded a secondary rate limit.' }
    })
    const answer = await deliver()
    expect(answer.statusCode).toBe(200)
    const [first, second] = github.requests
    expect(second.at - first.at).toBeGreaterThanOrEqual(90)
    expect(github.dispatches).toHaveLength(1)
  })

  it('429 with retry-after: waits, then dispatches', async () => {
    github.refuseNext({ status: 429, headers: { 'retry-after': '0.1' } })
    const answer = await deliver()
    expect(answer.statusCode).toBe(200)
    expect(github.requests[1].at - github.requests[0].at).toBeGreaterThanOrEqual(90)
  })

  it('x-ratelimit-remaining: 0 with x-ratelimit-reset: waits until the reset', async () => {
    const reset = (Date.now() + 100) / 1000
    github.refuseNext({
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }
    })
    const answer = await deliver()
    expect(answer.statusCode).toBe(200)
    expect(github.requests[1].at).toBeGreaterThanOrEqual(reset * 1000)
  })

  it('GitHub always 500: 503 to Adobe (so it redelivers) within the time limit', async () => {
    github.refuseAlways = { status: 500 }
    const answer = await deliver({ TIME_LIMIT_MS: 600 })
    expect('error' in answer.raw).toBe(true)
    expect(answer.statusCode).toBe(503)
    expect(answer.body.reason).toMatch(/could not be reached in time \(last: HTTP 500\)/)
    expect(answer.ms).toBeLessThan(600 + 250)
    expect(github.requests.length).toBeGreaterThan(2)
    expect(github.dispatches).toHaveLength(0)
  })

  it('a retry-after past the time limit: 503 at once, not a wait past it', async () => {
    github.refuseNext({ status: 429, headers: { 'retry-after': '120' } })
    const answer = await deliver({ TIME_LIMIT_MS: 2000 })
    expect(answer.statusCode).toBe(503)
    expect(answer.body.reason).toMatch(/asked to wait 120 s/)
    expect(answer.ms).toBeLessThan(1000)
  })

  it('429 without retry-after: GitHub says wait at least a minute, so 503 at once', async () => {
    github.refuseNext({ status: 429 })
    const answer = await deliver()
    expect(answer.statusCode).toBe(503)
    expect(answer.body.reason).toMatch(/asked to wait 60 s \(HTTP 429\)/)
    expect(github.requests).toHaveLength(1)
  })

  it('a secondary rate limit (403, said in the message, no headers): 503 at once', async () => {
    github.refuseNext({
      status: 403,
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes.' }
    })
    const answer = await deliver()
    expect(answer.statusCode).toBe(503)
    expect(github.requests).toHaveLength(1)
  })

  it('GitHub unreachable (nothing listening): 503 within the time limit', async () => {
    const gone = new LoopbackServer(() => undefined)
    const url = await gone.start()
    await gone.stop()
    const answer = await deliver({ GITHUB_API_URL: url, TIME_LIMIT_MS: 400 })
    expect(answer.statusCode).toBe(503)
    expect(answer.ms).toBeLessThan(400 + 250)
  })

  it('GitHub hanging: each attempt times out, 503 within the time limit', async () => {
    const hang = new LoopbackServer(() => undefined)
    const url = await hang.start()
    try {
      const answer = await deliver({ GITHUB_API_URL: url, TIME_LIMIT_MS: 400 })
      expect(answer.statusCode).toBe(503)
      expect(answer.body.reason).toMatch(/timed out/)
      expect(answer.ms).toBeLessThan(400 + 250)
    } finally {
      await hang.stop()
    }
  })
})

describe('refusals are not retried: 502 to Adobe, with what to fix', () => {
  it.each([
    [401, /refused the token \(401\)/],
    [403, /lacks Contents: write/],
    [404, /GITHUB_REPOSITORY is wrong/],
    [422, /refused the payload \(422\)/]
  ])('%i', async (status, reason) => {
    github.refuseNext({ status })
    const answer = await deliver()
    expect(answer.statusCode).toBe(502)
    expect(answer.body.reason).toMatch(reason)
    expect(github.requests).toHaveLength(1)
  })

  it('a wrong token: the stand-in answers 401 like GitHub', async () => {
    const answer = await deliver({ GITHUB_TOKEN: 'ghs_NotTheRightToken0123456789abcdefAB' })
    expect(answer.statusCode).toBe(502)
    expect(github.requests[0].status).toBe(401)
    expect(JSON.stringify(answer.body)).not.toContain('ghs_NotTheRightToken')
  })

  it('another repository: 404', async () => {
    const answer = await deliver({ GITHUB_REPOSITORY: 'acme/other' })
    expect(answer.statusCode).toBe(502)
    expect(github.requests[0].status).toBe(404)
  })

  it('a redirect is not followed: the token never reaches another origin', async () => {
    github.refuseNext({ status: 307, headers: { location: `${tripwire.url}/steal` } })
    const answer = await deliver()
    expect(answer.statusCode).toBe(502)
    expect(answer.body.reason).toMatch(/redirect \(307\); not followed/)
    expect(tripwire.hits).toHaveLength(0)
  })
})

describe('the dispatch stand-in behaves like GitHub', () => {
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${github.url}/repos/${github.repository}/dispatches`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${github.token}`,
        'user-agent': 'test',
        'content-type': 'application/json',
        ...headers
      },
      body: typeof body === 'string' ? body : JSON.stringify(body)
    })

  it('204 with no body on success, and records the dispatch', async () => {
    const res = await post({ event_type: 'x', client_payload: { a: 1 } })
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    expect(github.dispatches[0]).toMatchObject({ eventType: 'x', clientPayload: { a: 1 } })
  })

  it('422 for more than 10 client_payload properties', async () => {
    const payload = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`p${i}`, i]))
    const res = await post({ event_type: 'x', client_payload: payload })
    expect(res.status).toBe(422)
    expect(((await res.json()) as { message: string }).message).toMatch(
      /No more than 10 properties are allowed; 11 were supplied/
    )
    expect(github.dispatches).toHaveLength(0)
  })

  it('422 without event_type, 400 for JSON it cannot parse, 401 without the token', async () => {
    expect((await post({ client_payload: {} })).status).toBe(422)
    expect((await post('{nope')).status).toBe(400)
    expect((await post({ event_type: 'x' }, { authorization: 'Bearer wrong' })).status).toBe(401)
  })
})
