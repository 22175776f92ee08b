import * as log from '../text/log.js'
import type { Credentials } from '../inputs/inputs.js'
import type { Transport } from './http.js'
import { apiError, parseJsonAnswer } from './errors.js'
import type { Pacer } from './pacing.js'
import { withRetries, type RetryBudget } from './retry.js'
import { MIN_SECRET_LENGTH, registerSecret } from '../text/secrets.js'

/** Hands out a bearer token for Adobe's APIs, fetching a new one when it is due. */
export interface TokenSource {
  readonly kind: 'token' | 'oauth'
  /** A token valid for a while yet. */
  token(): Promise<string>
  /** A new token after Adobe refused the current one; undefined when there is no way to get one. */
  renew(): Promise<string | undefined>
}

export interface AuthContext {
  imsUrl: string
  transport: Transport
  pacer: Pacer
  budget: RetryBudget
  signal?: AbortSignal
}

// Ask for a new token this long before the old one expires, so no request carries a dying token:
// 5 minutes of IMS's usual 24 hours, a tenth of a lifetime when IMS grants a short one.
const RENEW_MARGIN_MS = 5 * 60_000
const RENEW_MARGIN_SHARE = 0.1

export function createTokenSource(credentials: Credentials, ctx: AuthContext): TokenSource {
  if (credentials.kind === 'token') {
    const { accessToken } = credentials
    return {
      kind: 'token',
      token: () => Promise.resolve(accessToken),
      renew: () => Promise.resolve(undefined)
    }
  }
  return new OAuthTokenSource(credentials, ctx)
}

/** OAuth Server-to-Server: client credentials exchanged at IMS. No refresh token exists: ask again. */
class OAuthTokenSource implements TokenSource {
  readonly kind = 'oauth'
  private current?: { value: string; renewAt: number }
  private pending?: Promise<string>

  constructor(
    private readonly credentials: Extract<Credentials, { kind: 'oauth' }>,
    private readonly ctx: AuthContext
  ) {}

  token(): Promise<string> {
    if (this.current && Date.now() < this.current.renewAt) {
      return Promise.resolve(this.current.value)
    }
    return this.renew()
  }

  renew(): Promise<string> {
    // Concurrent workers that all see a 401 share one token request.
    this.pending ??= this.fetch().finally(() => (this.pending = undefined))
    return this.pending
  }

  private async fetch(): Promise<string> {
    const { clientId, clientSecret, scopes } = this.credentials
    const url = `${this.ctx.imsUrl}/ims/token/v3`
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: scopes
    }).toString()
    log.debug(`Requesting an access token from ${url} for client ${clientId}`)
    // Asking for a token changes nothing at Adobe, so every failure is safe to retry.
    const res = await withRetries(
      () =>
        this.ctx.transport.request({
          method: 'POST',
          url,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json'
          },
          body,
          signal: this.ctx.signal
        }),
      {
        what: 'IMS token request',
        origin: { input: 'ims-url', url: this.ctx.imsUrl },
        idempotent: true,
        budget: this.ctx.budget,
        pacer: this.ctx.pacer,
        signal: this.ctx.signal,
        fail: res => apiError('IMS token request', res, imsHint(res))
      }
    )
    if (res.status < 200 || res.status >= 300)
      throw apiError('IMS token request', res, imsHint(res))
    // Object(): an answer of `null` or a bare value reads as one without a token, not a crash.
    const answer = Object(parseJsonAnswer(res, 'IMS token request')) as {
      access_token?: unknown
      expires_in?: unknown
    }
    // A token this short would garble every log line once masked; no real token is.
    if (typeof answer.access_token !== 'string' || answer.access_token.length < MIN_SECRET_LENGTH) {
      throw new Error(
        `IMS token request failed: HTTP ${res.status} without a usable access_token in the answer`
      )
    }
    registerSecret(answer.access_token)
    const expiresInMs = (typeof answer.expires_in === 'number' ? answer.expires_in : 86_399) * 1000
    const now = Date.now()
    const margin = Math.min(RENEW_MARGIN_MS, expiresInMs * RENEW_MARGIN_SHARE)
    this.current = { value: answer.access_token, renewAt: now + expiresInMs - margin }
    log.debug(`Access token received, valid for ${Math.round(expiresInMs / 1000)}s`)
    return answer.access_token
  }
}

function imsHint(res: { status: number; body: string }): string {
  if (/invalid_client/.test(res.body)) {
    return 'Check `client-id` and `client-secret`: they must be an OAuth Server-to-Server credential from Adobe Developer Console.'
  }
  if (/invalid_scope/.test(res.body))
    return 'Check `scopes`: copy them from the credential in Adobe Developer Console.'
  if (res.status >= 500 || res.status === 429) return 'Adobe IMS is unavailable: retry later.'
  return 'Check `client-id`, `client-secret`, `scopes` and `ims-url`.'
}
