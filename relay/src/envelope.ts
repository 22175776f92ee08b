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

export type Verdict =
  | { kind: 'failure'; payload: ClientPayload }
  | { kind: 'ignored'; reason: string }
  | { kind: 'refused'; status: 400 | 403 | 413; reason: string }

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
 * Every event in a delivery, each a failure to dispatch, ignored (with the reason) or refused.
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
  const refuse = (status: 400 | 403 | 413, reason: string) =>
    out.push({ kind: 'refused', status, reason })
  const ignore = (reason: string) => out.push({ kind: 'ignored', reason })

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
      return void refuse(400, `the run id (id) is not a UUID: ${describe(o.id)}`)
    if (typeof o.flowId !== 'string' || !UUID.test(o.flowId))
      return void refuse(400, `flowId is not a UUID: ${describe(o.flowId)}`)
    if (typeof o.sandboxName !== 'string' || !SANDBOX.test(o.sandboxName))
      return void refuse(400, `sandboxName is not a sandbox name: ${describe(o.sandboxName)}`)
    const org = o.imsOrgId ?? ctx.orgId
    if (o.imsOrgId !== undefined && ctx.orgId !== undefined && o.imsOrgId !== ctx.orgId)
      return void refuse(400, 'the run and its envelope name different IMS orgs')
    if (typeof org !== 'string' || !IMS_ORG.test(org))
      return void refuse(400, `imsOrgId is not an IMS org id: ${describe(org)}`)
    let eventId: string | null = null
    if (ctx.eventId !== undefined && ctx.eventId !== null) {
      if (typeof ctx.eventId !== 'string' || !UUID.test(ctx.eventId))
        return void refuse(400, `the event id is not a UUID: ${describe(ctx.eventId)}`)
      eventId = ctx.eventId
    }
    if (!config.allowedOrgs.has(org))
      return void refuse(403, `IMS org ${describe(org)} is not on this relay's allow-list`)
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
    if (ctx.depth > MAX_DEPTH) return void refuse(400, 'the envelope is nested too deep')
    const inner: Context = { ...ctx, depth: ctx.depth + 1 }
    if (Array.isArray(node)) {
      if (node.length === 0) return void refuse(400, 'an empty list of events')
      if (node.length > MAX_EVENTS)
        return void refuse(413, `more than ${MAX_EVENTS} events in one delivery`)
      for (const item of node) walk(item, inner)
      return
    }
    if (!isObject(node)) return void refuse(400, `expected an event, got ${describe(node)}`)

    if (Array.isArray(node.messages)) {
      // 3. [{messages: [{_eventNotificationMeta: {type}, value: {…}}]}]
      if (node.messages.length === 0) return void refuse(400, 'an empty list of messages')
      if (node.messages.length > MAX_EVENTS)
        return void refuse(413, `more than ${MAX_EVENTS} messages in one delivery`)
      for (const message of node.messages as unknown[]) {
        const type = field(message, '_eventNotificationMeta', 'type')
        if (typeof type !== 'string') refuse(400, 'a message without _eventNotificationMeta.type')
        else if (type.toLowerCase() !== 'sources_flow_run_failed')
          ignore(`notification type ${describe(type)} is not a run failure`)
        else if (!isObject(field(message, 'value'))) refuse(400, 'a message without a value')
        else
          run(field(message, 'value') as Obj, {
            ...inner,
            orgId: field(message, 'imsOrgId') ?? ctx.orgId,
            time: field(message, 'timestamp') ?? ctx.time
          })
      }
      return
    }
    if (isObject(node.event))
      // 2. {event_id, event: {…}}
      return walk(node.event, { ...inner, eventId: node.event_id ?? ctx.eventId })
    if ((isObject(node.data) || Array.isArray(node.data)) && typeof node.specversion === 'string')
      // I/O Events' CloudEvents 1.0 envelope around any of the three
      return walk(node.data, {
        ...inner,
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
    refuse(400, 'neither a flow run, an alert nor an envelope Adobe uses')
  }

  walk(body, { depth: 0, eventId })
  if (out.length > MAX_EVENTS)
    return [
      { kind: 'refused', status: 413, reason: `more than ${MAX_EVENTS} events in one delivery` }
    ]
  return out
}
