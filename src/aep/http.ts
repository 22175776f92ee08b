import * as http from 'node:http'
import * as https from 'node:https'
import { HttpClient } from '@actions/http-client'

/**
 * A request that produced no whole HTTP answer. `sent` says whether the server could have seen
 * it: false only when no connection was ever made (refused, DNS), the one case where even a
 * non-idempotent POST is known not to have acted. `status` is the status line that arrived
 * before the answer broke off, if one did: a 2xx there means the server acted.
 */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly sent: boolean,
    readonly code: string,
    readonly status?: number
  ) {
    super(message)
    this.name = 'TransportError'
  }
}

export interface HttpResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

export interface HttpRequest {
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  body?: string
  signal?: AbortSignal
}

// Errors that can only happen before a connection exists: the request never left the runner.
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH'
])
const USER_AGENT = 'aep-retry-dataflow-run'
export const MAX_BODY_BYTES = 1024 * 1024

/**
 * HTTP through the toolkit's agents (`@actions/http-client` chooses the agent, so HTTPS_PROXY,
 * NO_PROXY and the loopback bypass behave as in every other action), with three things its
 * `request()` lacks and this action needs: a hard deadline that really closes the socket, a cap
 * on how much of an answer is read, and knowing whether a failed request could have reached the
 * server. Redirects are never followed: an answer that points elsewhere must not take the token
 * with it.
 */
export class Transport {
  private readonly toolkit: HttpClient

  constructor(
    private readonly timeoutMs: number,
    keepAlive: boolean
  ) {
    this.toolkit = new HttpClient(USER_AGENT, [], { keepAlive })
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url)
    const lib = url.protocol === 'https:' ? https : http
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...req.headers }
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body))
    else if (req.method === 'POST') headers['content-length'] = '0'

    return new Promise<HttpResponse>((resolve, reject) => {
      let connected = false
      let settled = false
      let statusSeen: number | undefined
      /** Ends the request's bookkeeping once; false if it had already ended. */
      const settle = (): boolean => {
        if (settled) return false
        settled = true
        clearTimeout(timer)
        req.signal?.removeEventListener('abort', onAbort)
        return true
      }
      const fail = (message: string, code: string, sent = connected): void => {
        if (!settle()) return
        request.destroy()
        reject(new TransportError(message, sent && !NOT_CONNECTED.has(code), code, statusSeen))
      }
      const onAbort = (): void => fail('request cancelled', 'ABORTED')
      const timer = setTimeout(
        () => fail(`no answer within ${this.timeoutMs}ms`, 'ETIMEDOUT'),
        this.timeoutMs
      )

      const request = lib.request(url, {
        method: req.method,
        headers,
        agent: this.toolkit.getAgent(url.href)
      })
      request.on('socket', socket => {
        // A reused keep-alive socket or a proxy tunnel is already connected.
        const ready = (): void => {
          connected = true
        }
        if (!socket.connecting) ready()
        else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', ready)
      })
      request.on('error', (err: NodeJS.ErrnoException) => fail(err.message, err.code ?? 'ERROR'))
      request.on('response', res => {
        statusSeen = res.statusCode
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          // Keep only the first MAX_BODY_BYTES; an answer this large is an error page at best.
          if (size <= MAX_BODY_BYTES) chunks.push(chunk)
          else res.destroy()
        })
        const done = (): void => {
          if (settled) return
          const capped = size > MAX_BODY_BYTES
          // An answer cut short by the connection is no answer: the caller must not act on half of it.
          if (!res.complete && !capped)
            return fail('connection closed before the whole answer arrived', 'ECONNRESET')
          settle()
          let body = Buffer.concat(chunks).toString('utf8')
          if (capped) body = `${body}\n…(answer cut at ${MAX_BODY_BYTES} bytes of ${size}+)`
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
        }
        res.on('end', done)
        res.on('close', done)
        res.on('error', () => undefined)
      })

      if (req.signal?.aborted) return onAbort()
      req.signal?.addEventListener('abort', onAbort, { once: true })
      request.end(req.body)
    })
  }

  dispose(): void {
    this.toolkit.dispose()
  }
}
