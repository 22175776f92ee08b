/**
 * The relay as a plain Node.js HTTP handler: turns a request into the parameters I/O Runtime
 * gives a raw HTTP web action (`__ow_method`, `__ow_headers`, `__ow_path`, `__ow_query`,
 * `__ow_body` in base64) and writes `main`'s answer back. For the tests on loopback and for trying
 * the webhook locally; production runs `main` on I/O Runtime.
 */
import type * as http from 'node:http'
import { DEFAULT_MAX_BODY_BYTES, MAX_BODY_BYTES_LIMIT } from './config.js'
import { main, type Answer } from './index.js'

export function webhookListener(settings: Record<string, unknown>): http.RequestListener {
  // Bounded whatever the setting says (main() then refuses a setting that is not a number).
  const max = Math.min(
    MAX_BODY_BYTES_LIMIT,
    Number(settings.MAX_BODY_BYTES ?? DEFAULT_MAX_BODY_BYTES) || DEFAULT_MAX_BODY_BYTES
  )
  return (req, res) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > max) over = true
      else chunks.push(chunk)
    })
    req.on('end', () => {
      if (over)
        return write(res, 413, { result: 'refused', reason: `the body is over ${max} bytes` })
      const url = new URL(req.url ?? '/', 'http://relay')
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
      const body = Buffer.concat(chunks)
      main({
        ...settings,
        __ow_method: (req.method ?? 'GET').toLowerCase(),
        __ow_headers: headers,
        __ow_path: url.pathname,
        __ow_query: url.search.slice(1),
        ...(body.length ? { __ow_body: body.toString('base64') } : {})
      }).then(
        result => {
          const answer: Answer = 'error' in result ? result.error : result
          write(res, answer.statusCode, answer.body, answer.headers)
        },
        () => write(res, 500, { result: 'failed', reason: 'internal error' })
      )
    })
  }
}

function write(
  res: http.ServerResponse,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = { 'content-type': 'application/json' }
): void {
  res.writeHead(status, headers)
  res.end(JSON.stringify(body))
}
