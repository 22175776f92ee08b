import { describe, expect, it, jest } from '@jest/globals'
import * as core from '../../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const { verdict, parseRetryAfter, backoffDelay, withRetries } =
  await import('../../src/aep/retry.js')
const { Pacer, sleep } = await import('../../src/aep/pacing.js')
const { AmbiguousOutcomeError, CancelledError } = await import('../../src/aep/errors.js')
const { TransportError } = await import('../../src/aep/http.js')

const res = (status: number, headers: Record<string, string> = {}) => ({
  status,
  headers,
  body: ''
})
const budget = { maxAttempts: 3, timeoutMs: 10_000 }

describe('verdict: what is safe to send again', () => {
  it.each([
    [200, 'done', 'done'],
    [400, 'done', 'done'],
    [401, 'done', 'done'],
    [404, 'done', 'done'],
    [412, 'done', 'done'],
    [429, 'retry', 'retry'],
    [503, 'retry', 'retry'],
    [500, 'retry', 'ambiguous'],
    [502, 'retry', 'ambiguous'],
    [504, 'retry', 'ambiguous']
  ])('HTTP %i: read %s, re-trigger %s', (status, read, write) => {
    expect(verdict(true, res(status))).toBe(read)
    expect(verdict(false, res(status))).toBe(write)
  })

  it('retries a request that never connected, even the POST; a sent one only when idempotent', () => {
    const refused = new TransportError('connect ECONNREFUSED', false, 'ECONNREFUSED')
    const reset = new TransportError('socket hang up', true, 'ECONNRESET')
    expect(verdict(false, refused)).toBe('retry')
    expect(verdict(false, reset)).toBe('ambiguous')
    expect(verdict(true, reset)).toBe('retry')
  })

  it.each([
    // A name the DNS says does not exist is a typo until shown otherwise: not worth a retry.
    ['ENOTFOUND', 'fail'],
    // A resolver that did not answer may answer next time.
    ['EAI_AGAIN', 'retry'],
    ['ECONNREFUSED', 'retry'],
    ['ETIMEDOUT', 'retry']
  ])('a request that never connected with %s: %s, read or re-trigger', (code, expected) => {
    const err = new TransportError(`getaddrinfo ${code} platfrom.adobe.io`, false, code)
    expect(verdict(true, err)).toBe(expected)
    expect(verdict(false, err)).toBe(expected)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-26T12:00:00Z')
  it('reads seconds and HTTP dates, and ignores nonsense', () => {
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter('0', now)).toBe(0)
    expect(parseRetryAfter('Thu, 26 Nov 2026 12:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Thu, 26 Nov 2026 11:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
  })
})

describe('backoffDelay', () => {
  it('doubles with jitter between half and all of the ceiling, capped at 30 s', () => {
    expect(backoffDelay(1, () => 0)).toBe(500)
    expect(backoffDelay(1, () => 1)).toBe(1000)
    expect(backoffDelay(3, () => 1)).toBe(4000)
    expect(backoffDelay(20, () => 1)).toBe(30_000)
  })
})

describe('withRetries', () => {
  const opts = (over = {}) => ({
    what: 'test call',
    idempotent: false,
    budget,
    pacer: new Pacer(),
    fail: (r: { status: number }) => new Error(`HTTP ${r.status}`),
    ...over
  })

  it('returns the first final answer after retrying what is safe', async () => {
    const answers = [res(429, { 'retry-after': '0' }), res(503, { 'retry-after': '0' }), res(200)]
    const attempt = jest.fn(async () => answers.shift()!)
    // This test counts attempts; the pause the 429 earns is the pacing tests' subject (below).
    class Unpaced extends Pacer {
      override async acquire(): Promise<void> {}
    }
    await expect(withRetries(attempt, opts({ pacer: new Unpaced() }))).resolves.toMatchObject({
      status: 200
    })
    expect(attempt).toHaveBeenCalledTimes(3)
  })

  it('throws AmbiguousOutcomeError for a 500 on a non-idempotent request, after one attempt', async () => {
    const attempt = jest.fn(async () => res(500))
    await expect(withRetries(attempt, opts())).rejects.toBeInstanceOf(AmbiguousOutcomeError)
    expect(attempt).toHaveBeenCalledTimes(1)
  })

  it('gives up after maxAttempts with the formatted error', async () => {
    const attempt = jest.fn(async () => res(503, { 'retry-after': '0' }))
    await expect(withRetries(attempt, opts())).rejects.toThrow(
      'HTTP 503 (gave up: after 3 attempts)'
    )
    expect(attempt).toHaveBeenCalledTimes(3)
  })

  it('fails at once when Retry-After is beyond the retry budget, and never pauses the others', async () => {
    const pacer = new Pacer()
    const attempt = jest.fn(async () => res(429, { 'retry-after': '3600' }))
    await expect(withRetries(attempt, opts({ pacer }))).rejects.toThrow(
      /Retry-After\), beyond the retry budget/
    )
    expect(attempt).toHaveBeenCalledTimes(1)
    const started = Date.now()
    await pacer.acquire()
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('treats an answer that broke off after a 2xx status line as acted', async () => {
    const attempt = async () => {
      throw new TransportError('connection closed', true, 'ECONNRESET', 201)
    }
    await expect(withRetries(attempt, opts())).rejects.toMatchObject({ acted: 'yes' })
  })

  it('a host that does not exist: one attempt, and the error names the input and its value', async () => {
    const attempt = jest.fn(async () => {
      throw new TransportError('getaddrinfo ENOTFOUND platfrom.adobe.io', false, 'ENOTFOUND')
    })
    const origin = { input: 'platform-url', url: 'https://platfrom.adobe.io' }
    const err = await withRetries(attempt, opts({ origin })).catch((e: Error) => e)
    expect(attempt).toHaveBeenCalledTimes(1)
    expect((err as Error).message).toBe(
      'test call failed: ENOTFOUND (getaddrinfo ENOTFOUND platfrom.adobe.io)\nNo host platfrom.adobe.io exists (the DNS does not know the name): `platform-url` is "https://platfrom.adobe.io". Check it for a typo.'
    )
  })

  it('a resolver that does not answer is retried, then named with the input', async () => {
    const attempt = jest.fn(async () => {
      throw new TransportError('getaddrinfo EAI_AGAIN ims.example', false, 'EAI_AGAIN')
    })
    const origin = { input: 'ims-url', url: 'https://ims.example' }
    const quick = { maxAttempts: 2, timeoutMs: 10_000 }
    const random = jest.spyOn(Math, 'random').mockReturnValue(0)
    try {
      await expect(withRetries(attempt, opts({ origin, budget: quick }))).rejects.toThrow(
        /EAI_AGAIN .*\(gave up: after 2 attempts\)\nThe name ims.example could not be looked up .*`ims-url` is "https:\/\/ims.example"/
      )
    } finally {
      random.mockRestore()
    }
    expect(attempt).toHaveBeenCalledTimes(2)
  })

  it('turns an aborted request into CancelledError', async () => {
    const attempt = async () => {
      throw new TransportError('request cancelled', true, 'ABORTED')
    }
    await expect(withRetries(attempt, opts())).rejects.toBeInstanceOf(CancelledError)
  })
})

describe('Pacer and sleep', () => {
  it('does not pace before the first throttle', async () => {
    const pacer = new Pacer()
    const started = Date.now()
    for (let i = 0; i < 50; i++) await pacer.acquire()
    expect(Date.now() - started).toBeLessThan(200)
  })

  it('after a throttle, spaces requests below the rate that was throttled', async () => {
    const pacer = new Pacer()
    for (let i = 0; i < 20; i++) await pacer.acquire()
    pacer.onThrottle(Date.now(), 1000)
    const started = Date.now()
    for (let i = 0; i < 5; i++) await pacer.acquire()
    // 20 sent in the last second, throttled: 0.7 × 20 = 14/s, about 70 ms apart.
    expect(Date.now() - started).toBeGreaterThanOrEqual(4 * 60)
  })

  it('a long Retry-After holds every waiter until then, but never past their own deadline', async () => {
    const pacer = new Pacer()
    pacer.onThrottle(Date.now(), 3000)
    const started = Date.now()
    await Promise.all([
      pacer.acquire(undefined, started + 150),
      pacer.acquire(undefined, started + 150)
    ])
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('sleep ends early with CancelledError when aborted', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 10)
    await expect(sleep(10_000, controller.signal)).rejects.toBeInstanceOf(CancelledError)
  })
})
