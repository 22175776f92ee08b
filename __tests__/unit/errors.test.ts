import { describe, expect, it, jest } from '@jest/globals'
import * as core from '../../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const { readErrorBody, apiError, flowServiceHint } = await import('../../src/aep/errors.js')
const { registerSecret } = await import('../../src/text/secrets.js')

const res = (status: number, body: string, headers: Record<string, string> = {}) => ({
  status,
  body,
  headers
})

describe('readErrorBody', () => {
  it('reads a platform error: code from the type, title and detailed message', () => {
    const body = JSON.stringify({
      type: 'https://ns.adobe.com/aep/errors/FLOW-1101-404',
      title: 'Resource not found',
      status: 404,
      report: { 'detailed-message': 'Run x not found' }
    })
    expect(readErrorBody(res(404, body, { 'x-request-id': 'r-1' }))).toEqual({
      code: 'FLOW-1101-404',
      detail: 'Resource not found — Run x not found',
      requestId: 'r-1'
    })
  })

  it('reads a gateway error and an IMS error', () => {
    expect(
      readErrorBody(res(401, '{"error_code":"401013","message":"Oauth token is not valid"}'))
    ).toMatchObject({ code: '401013', detail: 'Oauth token is not valid' })
    expect(
      readErrorBody(
        res(400, '{"error":"invalid_client","error_description":"invalid client_id parameter"}')
      )
    ).toMatchObject({ code: 'invalid_client', detail: 'invalid client_id parameter' })
  })

  it('makes HTML, empty and plain answers readable', () => {
    expect(
      readErrorBody(res(502, '<html><head><title>502 Bad Gateway</title></head></html>')).detail
    ).toBe('HTML page: 502 Bad Gateway')
    expect(readErrorBody(res(503, '<p>Down  for\nmaintenance</p>')).detail).toBe(
      'HTML page: Down for maintenance'
    )
    expect(readErrorBody(res(500, '')).detail).toBe('(empty answer)')
    expect(readErrorBody(res(500, 'upstream   timeout')).detail).toBe('upstream timeout')
    expect(readErrorBody(res(500, 'x'.repeat(5000))).detail.length).toBeLessThan(600)
  })
})

describe('apiError', () => {
  it('says what failed, the status, code, text, request id and what to check', () => {
    const err = apiError(
      'Re-triggering run R',
      res(403, '{"error_code":"403003","message":"Api Key is invalid"}', { 'x-request-id': 'abc' }),
      flowServiceHint(403, { sandbox: 'prod', oauth: true })
    )
    expect(err.message).toBe(
      'Re-triggering run R failed: HTTP 403 403003: Api Key is invalid (request id abc)\nCheck `api-key` (the credential\'s client ID) and that the credential\'s product profile grants access to sources/dataflows in sandbox "prod".'
    )
    expect(err).toMatchObject({ status: 403, code: '403003', requestId: 'abc' })
  })

  it('never repeats a secret that an answer echoes', () => {
    registerSecret('tok-SECRET-1')
    const err = apiError('Reading run R', res(400, '{"message":"bad header Bearer tok-SECRET-1"}'))
    expect(err.message).not.toContain('tok-SECRET-1')
    expect(err.message).toContain('Bearer ***')
  })

  it('bounds a code of any length or type, and redacts a request id before clipping it', () => {
    const token = `tok-${'0123456789abcdef'.repeat(12)}`
    registerSecret(token)
    const long = readErrorBody(res(400, JSON.stringify({ type: `x/${'C'.repeat(600_000)}` })))
    expect(long.code!.length).toBeLessThanOrEqual(101)
    expect(readErrorBody(res(400, '{"type":5,"error":{"a":1},"title":"t"}'))).toMatchObject({
      code: undefined,
      detail: 't'
    })
    const echoed = readErrorBody(res(400, '', { 'x-request-id': `id ${token}` }))
    expect(echoed.requestId).not.toContain(token.slice(0, 12))
  })

  it.each([
    [
      'a \\/-escaped JSON echo',
      (s: string) => JSON.stringify(s).slice(1, -1).replace(/\//g, '\\/')
    ],
    ['a form-encoded echo', (s: string) => new URLSearchParams({ s }).toString().slice(2)],
    ['a base64 echo', (s: string) => Buffer.from(s).toString('base64')],
    ['a folded echo', (s: string) => `${s.slice(0, 15)}\r\n ${s.slice(15)}`]
  ])('never repeats a client secret echoed in %s (JSON or plain text)', (_, form) => {
    const secret = 'p8e-Cl!ent/Secret (form) ~42~'
    registerSecret(secret)
    const echoed = form(secret)
    for (const body of [`client_secret=${echoed}`, `{"message":"secret ${echoed}"}`]) {
      const err = apiError('IMS token request', res(400, body))
      for (const shown of [echoed, ...echoed.split(/\s+/)].filter(t => t.length >= 12))
        expect(err.message).not.toContain(shown)
      for (let i = 0; i + 12 <= secret.length; i++)
        expect(err.message).not.toContain(secret.slice(i, i + 12))
    }
  })

  it('has a hint for every status a data engineer meets', () => {
    for (const status of [400, 401, 403, 404, 412, 429, 500, 502, 503, 504]) {
      expect(flowServiceHint(status, { sandbox: 'prod', oauth: false, runId: 'R' })).toBeTruthy()
    }
    expect(flowServiceHint(401, { sandbox: 'prod', oauth: false })).toContain(
      'static tokens last 24 hours'
    )
    expect(flowServiceHint(404, { sandbox: 'dev', oauth: true, runId: 'R' })).toBe(
      'Run R was not found in sandbox "dev": check `run-id` and `sandbox`.'
    )
  })
})
