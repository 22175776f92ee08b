/**
 * The relay: an Adobe I/O Runtime action (App Builder) that receives the I/O Events "Sources Flow
 * Run Failure" event and wakes the re-trigger action in GitHub through
 * `POST /repos/{owner}/{repo}/dispatches` (`event_type: aep-flow-run-failed`).
 *
 * Two ways to deploy it (relay/README.md):
 * - a non-web action registered in the Developer Console as the event's Runtime action: I/O
 *   Events verifies the delivery itself and invokes the action with the event as parameters;
 * - a raw HTTP web action (`web: raw`) registered as a webhook: the relay answers the challenge
 *   and verifies both of Adobe's digital signatures and `recipient_client_id` itself.
 *
 * Answers: 200 for what it dispatched or deliberately ignored (Adobe does not redeliver those),
 * 4xx only for a request that cannot be a valid delivery from Adobe (forged, not JSON, addressed
 * to another client, over Adobe's own sizes): I/O Events drops a 4xx (429 aside) for good, every
 * event in it. So an unreadable event inside a genuine delivery is skipped on its own (logged and
 * listed in the answer) and the delivery's other runs are dispatched. Anything that may succeed later is 5xx,
 * which Adobe redelivers for 24 h: 502 when GitHub refuses the token or the request, 503 when
 * GitHub could not be reached in time, 500 when misconfigured. A delivery's runs are dispatched
 * side by side (batch.ts), and a redelivery skips the runs already dispatched (memo.ts). Never the
 * token, in an answer or a log line.
 */
import { CONFIG_PARAMS, readConfig, type RelayConfig } from './config.js'
import { readEvents, type ClientPayload, type SkippedEvent, type Verdict } from './envelope.js'
import { deliveryAnswer, dispatchAll } from './batch.js'
import type { DispatchPacing } from './github.js'
import { dispatchedRuns } from './memo.js'
import { verifySignatures } from './signature.js'
import { describe, Log, Redactor } from './text.js'

export interface Answer {
  statusCode: number
  headers: Record<string, string>
  body: Record<string, unknown>
}

/** What I/O Runtime gets back: errors (5xx) as `{error}`, so that the activation fails too. */
export type RuntimeResult = Answer | { error: Answer }

type Params = Record<string, unknown>

const CHALLENGE = /^[A-Za-z0-9._~-]{1,128}$/
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * The action. I/O Runtime passes the parameters alone; `pacing` (the retry back-off towards
 * GitHub, as the relay has it unless given) is for the tests.
 */
export async function main(
  params: Params = {},
  pacing: DispatchPacing = {}
): Promise<RuntimeResult> {
  const receivedAt = Date.now()
  const redactor = new Redactor(params.GITHUB_TOKEN)
  const log = new Log(redactor)
  const finish = (statusCode: number, body: Record<string, unknown>): RuntimeResult => {
    const answer: Answer = {
      statusCode,
      headers: { 'content-type': 'application/json' },
      body: JSON.parse(redactor.redact(JSON.stringify(body))) as Record<string, unknown>
    }
    return statusCode >= 500 ? { error: answer } : answer
  }
  const refuse = (statusCode: number, reason: string): RuntimeResult => {
    log.error(`refused (${statusCode}): ${reason}`)
    return finish(statusCode, { result: 'refused', reason })
  }

  try {
    const web = typeof params.__ow_method === 'string'
    const method = web ? (params.__ow_method as string).toLowerCase() : 'post'
    if (method === 'get') return challenge(params, log, finish)
    if (method !== 'post') return refuse(405, `method ${describe(method)} is not POST`)

    const read = readConfig(params)
    if (!read.ok) {
      const reason = `the relay is misconfigured: ${read.problems.join('; ')}`
      log.error(`failed (500): ${reason}`)
      return finish(500, { result: 'failed', reason })
    }
    const config = read.config
    const deadline = deadlineOf(receivedAt, config)

    let body: unknown
    let eventId: string | undefined
    if (web) {
      if (!config.clientId) {
        const reason = 'the relay is misconfigured: a webhook needs IO_EVENTS_CLIENT_ID'
        log.error(`failed (500): ${reason}`)
        return finish(500, { result: 'failed', reason })
      }
      const headers = lowerCaseHeaders(params.__ow_headers)
      const raw = rawBody(params.__ow_body, config.maxBodyBytes)
      if (raw === 'too large') return refuse(413, `the body is over ${config.maxBodyBytes} bytes`)
      if (raw === undefined)
        return refuse(400, 'no raw body: deploy the webhook as a raw HTTP web action (web: raw)')
      const signed = await verifySignatures(raw, headers, config.keyOrigin, deadline)
      if (!signed.ok) {
        if (signed.status === 503) {
          log.error(`failed (503): ${signed.reason}`)
          return finish(503, { result: 'failed', reason: signed.reason })
        }
        return refuse(signed.status, signed.reason)
      }
      try {
        body = JSON.parse(raw.toString('utf8'))
      } catch {
        return refuse(400, 'the body is not JSON')
      }
      const recipient = recipientProblem(body, config.clientId, true)
      if (recipient) return refuse(403, recipient)
      eventId = headers['x-adobe-event-id']
    } else {
      body = eventOf(params)
      if (Buffer.byteLength(JSON.stringify(body)) > config.maxBodyBytes)
        return refuse(413, `the event is over ${config.maxBodyBytes} bytes`)
      const recipient = config.clientId && recipientProblem(body, config.clientId, false)
      if (recipient) return refuse(403, recipient)
    }
    const verdicts = readEvents(body, config, receivedAt, eventId)
    return await relay(verdicts, config, deadline, log, redactor, finish, pacing)
  } catch (e) {
    const reason = `internal error: ${describe((e as Error)?.message ?? String(e), 300)}`
    log.error(`failed (500): ${reason}`)
    return finish(500, { result: 'failed', reason })
  }
}

async function relay(
  verdicts: Verdict[],
  config: RelayConfig,
  deadline: number,
  log: Log,
  redactor: Redactor,
  finish: (statusCode: number, body: Record<string, unknown>) => RuntimeResult,
  pacing: DispatchPacing
): Promise<RuntimeResult> {
  // Only the count bound refuses a delivery whole (413): no batch of Adobe's is that large.
  const refused = verdicts.filter(v => v.kind === 'refused')
  if (refused.length) {
    for (const r of refused) log.error(`refused (${r.status}): ${r.reason}`)
    const status = Math.max(...refused.map(r => r.status))
    return finish(status, {
      result: 'refused',
      reason: refused.map(r => r.reason).join('; '),
      dispatched: []
    })
  }
  const ignored: string[] = []
  const skipped: SkippedEvent[] = []
  const runs = new Map<string, ClientPayload>()
  for (const v of verdicts) {
    if (v.kind === 'skipped') {
      // Unreadable, on its own: the delivery's other runs still go (a 4xx would drop them all).
      const { event, eventId, runId, reason } = v
      skipped.push({ event, eventId, runId, reason })
      log.error(
        `skipped ${event}${eventId ? ` (event ${eventId})` : ''}${runId ? ` (run ${runId})` : ''}: ${reason}`
      )
    } else if (v.kind === 'ignored') {
      ignored.push(v.reason)
      log.info(`ignored: ${v.reason}`)
    } else if (v.kind === 'failure') {
      if (runs.has(v.payload.runId))
        log.info(`ignored: run ${v.payload.runId} twice in one delivery`)
      else {
        // The payload is read by a workflow: not even a flow name may carry a token.
        const flowName = v.payload.flowName === null ? null : redactor.redact(v.payload.flowName)
        runs.set(v.payload.runId, { ...v.payload, flowName })
      }
    }
  }

  const results = await dispatchAll([...runs.values()], config, deadline, dispatchedRuns, pacing)
  const dispatched: Record<string, unknown>[] = []
  const alreadyDispatched: string[] = []
  const notDispatched: string[] = []
  const failures: string[] = []
  for (const r of results) {
    const p = r.payload
    const what = `run ${p.runId} (flow ${p.flowId}, sandbox ${p.sandbox})`
    if (r.kind === 'dispatched') {
      log.info(
        `dispatched aep-flow-run-failed to ${config.owner}/${config.repo} for ${what} in ${r.ms} ms, ${r.attempts} attempt(s)`
      )
      dispatched.push({ runId: p.runId, flowId: p.flowId, sandbox: p.sandbox })
    } else if (r.kind === 'already') {
      log.info(`ignored: ${what} was already dispatched by this relay (a redelivery)`)
      alreadyDispatched.push(p.runId)
    } else {
      notDispatched.push(p.runId)
      if (r.kind === 'failed') failures.push(`${r.reason} (${what})`)
    }
  }
  const answer = deliveryAnswer(results, skipped.length)
  if (answer.status === 200)
    return finish(200, { result: answer.result, dispatched, alreadyDispatched, ignored, skipped })
  const left = notDispatched.length - failures.length
  const reason =
    failures.join('; ') +
    (left ? `; ${left} more run(s) not attempted after that failure` : '') +
    `; Adobe redelivers, and runs dispatched now are not dispatched again by this relay`
  log.error(`failed (${answer.status}): ${reason}`)
  return finish(answer.status, {
    result: 'failed',
    reason,
    dispatched,
    alreadyDispatched,
    notDispatched,
    ignored,
    skipped
  })
}

function challenge(
  params: Params,
  log: Log,
  finish: (statusCode: number, body: Record<string, unknown>) => RuntimeResult
): RuntimeResult {
  const value =
    typeof params.__ow_query === 'string'
      ? new URLSearchParams(params.__ow_query).get('challenge')
      : params.challenge
  if (typeof value !== 'string' || !CHALLENGE.test(value)) {
    log.error(`refused (400): a GET without a well-formed challenge (${describe(value)})`)
    return finish(400, { result: 'refused', reason: 'a GET needs a challenge query parameter' })
  }
  log.info('answered the I/O Events challenge')
  return finish(200, { challenge: value })
}

/** The sooner of the relay's own time limit and I/O Runtime's deadline for this activation. */
function deadlineOf(receivedAt: number, config: RelayConfig): number {
  const own = receivedAt + config.timeLimitMs
  const runtime = Number(process.env.__OW_DEADLINE)
  return Number.isFinite(runtime) && runtime > 0 ? Math.min(own, runtime - 1000) : own
}

function lowerCaseHeaders(value: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {}
  if (typeof value !== 'object' || value === null) return out
  for (const [k, v] of Object.entries(value as Record<string, unknown>))
    if (typeof v === 'string') out[k.toLowerCase()] = v
  return out
}

/**
 * The body exactly as Adobe sent it. I/O Runtime hands a raw HTTP web action `__ow_body` as
 * base64 for binary content types (application/json included) and as text otherwise.
 */
function rawBody(value: unknown, max: number): Buffer | 'too large' | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined
  if (value.length > Math.ceil(max / 3) * 4 + 4) return 'too large'
  const start = value.trimStart()[0]
  const raw =
    start !== '{' && start !== '[' && value.length % 4 === 0 && BASE64_BODY.test(value)
      ? Buffer.from(value, 'base64')
      : Buffer.from(value, 'utf8')
  return raw.length > max ? 'too large' : raw
}

/** A Runtime consumer's event: its parameters, less the relay's own and OpenWhisk's. */
function eventOf(params: Params): Params {
  const skip = new Set<string>(CONFIG_PARAMS)
  return Object.fromEntries(
    Object.entries(params).filter(([k]) => !skip.has(k) && !k.startsWith('__'))
  )
}

/**
 * Adobe adds `recipient_client_id` to each event it delivers; it must be this relay's client id
 * (for a list, every element's, as Adobe's Java verifier checks). A webhook requires it; for a
 * Runtime consumer (already verified by I/O Events) it is checked when present.
 */
function recipientProblem(body: unknown, clientId: string, required: boolean): string | undefined {
  const items = Array.isArray(body) ? body : [body]
  for (const item of items) {
    const id =
      typeof item === 'object' && item !== null ? (item as Params).recipient_client_id : undefined
    if (id === undefined && !required) continue
    if (id !== clientId) return `recipient_client_id ${describe(id)} is not this relay's client id`
  }
  return undefined
}
