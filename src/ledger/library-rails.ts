/**
 * @actions/cache's save inside the action's rails. The library logs through @actions/core, which
 * writes to stdout directly: its `core.info` of a server's text (a twirp retry's message, a v1
 * reservation's "More details") would print a line break as is, so a server could start a line
 * of its own, a live `::error::` or `::stop-commands::`. And its HTTP client follows a redirect
 * to any host and, through the bearer handler, sends the runtime token there again.
 *
 * `railed` runs a library call in an async context of its own (AsyncLocalStorage), and only what
 * that context writes is taken apart:
 * - every write of the library's (one write is one core call) goes through log.ts, the output
 *   boundary, at its level (an `::error::` becomes a warning: a cache that fails costs the step
 *   nothing); `::add-mask::` lines are core's own and kept as they are;
 * - every HTTP request it makes with the runtime token goes to the cache service's origin or is
 *   destroyed before a byte is sent (Node's `http.client.request.start` channel).
 * What the rest of the action writes or sends meanwhile is untouched.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import * as diagnostics from 'node:diagnostics_channel'
import type { ClientRequest } from 'node:http'
import * as log from '../text/log.js'

const context = new AsyncLocalStorage<Rails>()

interface Rails {
  /** Origins the runtime token may go to: the cache service's. */
  origins: ReadonlySet<string>
  token: string
}

let depth = 0
let restore: (() => void) | undefined

/** Runs `work` (a library call) in the rails; they stay until it settles, also when abandoned. */
export function railed<T>(
  serviceUrls: readonly string[],
  token: string,
  work: () => Promise<T>
): Promise<T> {
  const origins = new Set<string>()
  for (const url of serviceUrls) {
    try {
      if (url) origins.add(new URL(url).origin)
    } catch {
      // not a URL: no origin is allowed for it
    }
  }
  if (depth++ === 0) restore = install()
  const done = (): void => {
    if (--depth === 0) restore?.()
  }
  return context.run({ origins, token }, work).finally(done)
}

type Write = (this: NodeJS.WriteStream, ...args: unknown[]) => boolean

function install(): () => void {
  const streams = [process.stdout, process.stderr] as const
  // Kept as they are, to be called on their stream and put back as they were.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const originals = streams.map(stream => stream.write as Write)
  streams.forEach((stream, i) => {
    const original = originals[i]
    const wrapper = function (chunk: unknown, ...rest: unknown[]): boolean {
      if (!context.getStore()) return original.call(stream, chunk, ...rest)
      const text =
        typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8')
      context.exit(() => route(text, stream === process.stderr, raw => original.call(stream, raw)))
      const callback = rest.find(arg => typeof arg === 'function') as (() => void) | undefined
      callback?.()
      return true
    }
    stream.write = wrapper
  })
  diagnostics.subscribe('http.client.request.start', guard)
  return () => {
    diagnostics.unsubscribe('http.client.request.start', guard)
    streams.forEach((stream, i) => {
      stream.write = originals[i]
    })
  }
}

const COMMAND = /^::([A-Za-z-]+)(?: [^:]*)?::([^]*)$/
const unescape = (data: string): string =>
  data.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%')

/** One write of the library's, through the output boundary. */
function route(text: string, stderr: boolean, raw: (text: string) => void): void {
  const message = text.replace(/\r?\n$/, '')
  const command = COMMAND.exec(message)
  if (!command) return stderr ? log.debug(message) : log.info(message)
  const [, name, data] = command
  switch (name.toLowerCase()) {
    case 'add-mask':
      // core's own line, its value escaped: masking the blob URL's signature must keep working.
      if (!/[\r\n]/.test(message)) raw(`${message}\n`)
      return
    case 'debug':
      return log.debug(unescape(data))
    case 'warning':
    case 'error':
      return log.warning(unescape(data))
    case 'notice':
      return log.notice(unescape(data))
    default:
      return log.debug(message)
  }
}

/** Destroys a request of the library's that would take the runtime token to another origin. */
function guard(message: unknown): void {
  const rails = context.getStore()
  const request = (message as { request?: ClientRequest }).request
  if (!rails || !request || !rails.token) return
  const auth = String(request.getHeader('authorization') ?? '')
  if (!auth.includes(rails.token)) return
  // The Host header omits a default port, as a URL's origin does.
  if (
    rails.origins.has(
      originOf(`${request.protocol}//${String(request.getHeader('host') ?? request.host)}`)
    )
  )
    return
  request.destroy(
    new Error('a request with the runtime token to another origin than the cache service (refused)')
  )
}

function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return ''
  }
}
