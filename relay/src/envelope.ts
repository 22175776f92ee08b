/**
 * What a delivery from Adobe says, in the three envelopes Adobe has used for "Sources Flow Run
 * Failure", each perhaps inside an I/O Events CloudEvent (`data`) or a batch (a list):
 *
 * 1. the run object itself: top-level `id` (the run id), `flowId`, `flowName`, `sandboxName`,
 *    `imsOrgId` (help/observability/alerts/rules.md);
 * 2. `{event_id, event: {…run…}}` (help/sources/notifications.md, the older I/O Events format);
 * 3. `[{messages: [{_eventNotificationMeta: {type: 'sources_flow_run_failed'}, value: {…run…}}]}]`
 *    (the same page, the older Platform notification format).
 *
 * The Delay and Error-Rate alerts share the event code (`source_flow_run_error`) but carry
 * `flowRunId` and `status: FIRING`: they are told apart and ignored, with the reason.
 *
 * An event that cannot be read (an id not a UUID, a field missing, an org off the allow-list, a
 * shape Adobe does not use) is skipped on its own, with where it is in the delivery and why: the
 * other events of the delivery still go. Only a delivery over the count bound is refused whole.
 */
import type { RelayConfig } from './config.js'
import { describe, IMS_ORG, neutralise, SANDBOX, UUID } from './text.js'

/** The repository_dispatch `client_payload`: 7 of GitHub's 10 top-level properties. */
export interface ClientPayload {
  runId: string
  flowId: string
  flowName: string | null
  sandbox: string
  orgId: string
  eventId: string | null
  /** ISO 8601: when the run last changed (its failure) if the event says, else when relayed. */
  at: string
}

/** An event that cannot be read: where it is in the delivery, its ids if it has readable ones. */
export interface SkippedEvent {
  /** Its place in the body, JSON-path-like: `$`, `$[3].data`, `$[0].messages[2]`. */
  event: string
  /** The event id (envelope, CloudEvent or delivery header) if it is a UUID, else null. */
  eventId: string | null
  /** The run id if it is a UUID, else null. */
  runId: string | null
  reason: string
}

export type Verdict =
  | { kind: 'failure'; payload: ClientPayload }
  | { kind: 'ignored'; reason: string }
  | ({ kind: 'skipped' } & SkippedEvent)
  /** The whole delivery: more events than Adobe ever sends in one. */
  | { kind: 'refused'; status: 413; reason: string }

/** More events than this in one delivery is not a delivery from Adobe (its batches hold 20). */
export const MAX_EVENTS = 25
const MAX_DEPTH = 5
const FAILURE_CODES = new Set([
  'source_flow_run_error',
  'sources_flow_run_failed',
  'sources_flow_run_failure'
])
const FLOW_NAME_MAX = 256

interface Context {
  eventId?: unknown
  time?: unknown
  orgId?: unknown
  depth: number
  /** Where the node is in the body (for a skipped event). */
  path: string
}

type Obj = Record<string, unknown>
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const field = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((at, key) => (isObject(at) ? at[key] : undefined), o)

/** A time the event gives, if it is one (epoch ms or a date string, 2017 .. tomorrow). */
function plausibleTime(value: unknown, now: number): string | undefined {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN
  if (!Number.isFinite(ms) || ms < Date.UTC(2017, 0, 1) || ms > now + 86_400_000) return undefined
  return new Date(ms).toISOString()
}

/**
 * Every event in a delivery, each a failure to dispatch, ignored or skipped (with the reason); or
 * the one verdict `refused` (413) for a delivery of more than `MAX_EVENTS` events.
 * `eventId` is the delivery's own id where the envelope carries none (I/O Events' webhook header
 * `x-adobe-event-id`).
 */
export function readEvents(
  body: unknown,
  config: RelayConfig,
  receivedAt: number,
  eventId?: string
): Verdict[] {
  const out: Verdict[] = []
  const tooMany = (reason: string) => out.push({ kind: 'refused', status: 413, reason })
  const ignore = (reason: string) => out.push({ kind: 'ignored', reason })
  const uuidOr = (v: unknown): string | null => (typeof v === 'string' && UUID.test(v) ? v : null)
  const skip = (ctx: Context, reason: string, runId?: unknown) =>
    out.push({
      kind: 'skipped',
      event: ctx.path,
      eventId: uuidOr(ctx.eventId),
      runId: uuidOr(runId),
      reason
    })

  const run = (o: Obj, ctx: Context): void => {
    const code = field(o, 'header', '_adobeio', 'eventCode')
    if (typeof code === 'string' && !FAILURE_CODES.has(code.toLowerCase()))
      return void ignore(`event code ${describe(code)} is not a run failure`)
    if (typeof o.status === 'string' && o.status.toUpperCase() === 'FIRING')
      return void ignore('an alert (status FIRING), not a run failure: nothing to re-trigger')
    const status = field(o, 'metrics', 'statusSummary', 'status')
    if (typeof status === 'string' && status.toLowerCase() !== 'failed')
      return void ignore(`the run's status is ${describe(status)}, not failed`)

    if (typeof o.id !== 'string' || !UUID.test(o.id))
      return void skip(ctx, `the run id (id) is not a UUID: ${describe(o.id)}`, o.id)
    if (typeof o.flowId !== 'string' || !UUID.test(o.flowId))
      return void skip(ctx, `flowId is not a UUID: ${describe(o.flowId)}`, o.id)
    if (typeof o.sandboxName !== 'string' || !SANDBOX.test(o.sandboxName))
      return void skip(ctx, `sandboxName is not a sandbox name: ${describe(o.sandboxName)}`, o.id)
    const org = o.imsOrgId ?? ctx.orgId
    if (o.imsOrgId !== undefined && ctx.orgId !== undefined && o.imsOrgId !== ctx.orgId)
      return void skip(ctx, 'the run and its envelope name different IMS orgs', o.id)
    if (typeof org !== 'string' || !IMS_ORG.test(org))
      return void skip(ctx, `imsOrgId is not an IMS org id: ${describe(org)}`, o.id)
    let eventId: string | null = null
    if (ctx.eventId !== undefined && ctx.eventId !== null) {
      if (typeof ctx.eventId !== 'string' || !UUID.test(ctx.eventId))
        return void skip(ctx, `the event id is not a UUID: ${describe(ctx.eventId)}`, o.id)
      eventId = ctx.eventId
    }
    if (!config.allowedOrgs.has(org))
      return void skip(ctx, `IMS org ${describe(org)} is not on this relay's allow-list`, o.id)
    if (!config.allowedSandboxes.has(o.sandboxName))
      return void ignore(
        `sandbox ${describe(o.sandboxName)} is not on this relay's allow-list (ALLOWED_SANDBOXES)`
      )
    out.push({
      kind: 'failure',
      payload: {
        runId: o.id,
        flowId: o.flowId,
        flowName: typeof o.flowName === 'string' ? neutralise(o.flowName, FLOW_NAME_MAX) : null,
        sandbox: o.sandboxName,
        orgId: org,
        eventId,
        at:
          plausibleTime(o.updatedAt, receivedAt) ??
          plausibleTime(ctx.time, receivedAt) ??
          new Date(receivedAt).toISOString()
      }
    })
  }

  const walk = (node: unknown, ctx: Context): void => {
    if (out.length > MAX_EVENTS) return
    if (ctx.depth > MAX_DEPTH) return void skip(ctx, 'the envelope is nested too deep')
    const inner: Context = { ...ctx, depth: ctx.depth + 1 }
    if (Array.isArray(node)) {
      if (node.length === 0) return void skip(ctx, 'an empty list of events')
      if (node.length > MAX_EVENTS)
        return void tooMany(`more than ${MAX_EVENTS} events in one delivery`)
      node.forEach((item, i) => walk(item, { ...inner, path: `${ctx.path}[${i}]` }))
      return
    }
    if (!isObject(node)) return void skip(ctx, `expected an event, got ${describe(node)}`)

    if (Array.isArray(node.messages)) {
      // 3. [{messages: [{_eventNotificationMeta: {type}, value: {…}}]}]
      if (node.messages.length === 0) return void skip(ctx, 'an empty list of messages')
      if (node.messages.length > MAX_EVENTS)
        return void tooMany(`more than ${MAX_EVENTS} messages in one delivery`)
      ;(node.messages as unknown[]).forEach((message, i) => {
        const at: Context = { ...inner, path: `${ctx.path}.messages[${i}]` }
        const type = field(message, '_eventNotificationMeta', 'type')
        if (typeof type !== 'string') skip(at, 'a message without _eventNotificationMeta.type')
        else if (type.toLowerCase() !== 'sources_flow_run_failed')
          ignore(`notification type ${describe(type)} is not a run failure`)
        else if (!isObject(field(message, 'value'))) skip(at, 'a message without a value')
        else
          run(field(message, 'value') as Obj, {
            ...at,
            orgId: field(message, 'imsOrgId') ?? ctx.orgId,
            time: field(message, 'timestamp') ?? ctx.time
          })
      })
      return
    }
    if (isObject(node.event))
      // 2. {event_id, event: {…}}
      return walk(node.event, {
        ...inner,
        path: `${ctx.path}.event`,
        eventId: node.event_id ?? ctx.eventId
      })
    if ((isObject(node.data) || Array.isArray(node.data)) && typeof node.specversion === 'string')
      // I/O Events' CloudEvents 1.0 envelope around any of the three
      return walk(node.data, {
        ...inner,
        path: `${ctx.path}.data`,
        eventId: node.event_id ?? node.id ?? ctx.eventId,
        time: node.time ?? ctx.time
      })
    if ('flowRunId' in node)
      return void ignore(
        `a Delay or Error-Rate alert (flowRunId ${describe(node.flowRunId)}, status ${describe(
          node.status
        )}), not a run failure: nothing to re-trigger`
      )
    if ('id' in node || 'flowId' in node) return run(node, ctx)
    skip(ctx, 'neither a flow run, an alert nor an envelope Adobe uses')
  }

  walk(body, { depth: 0, eventId, path: '$' })
  if (out.length > MAX_EVENTS)
    return [
      { kind: 'refused', status: 413, reason: `more than ${MAX_EVENTS} events in one delivery` }
    ]
  return out
}
