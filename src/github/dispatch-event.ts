/**
 * A step woken by Adobe's "Sources Flow Run Failure" event (relay/ turns it into a GitHub
 * `repository_dispatch` of type `aep-flow-run-failed`): the event must be for the org and sandbox
 * this step is configured for, or the step fails before anything is sent. The event's run and
 * flow reach the step as inputs (`run-id`, `flow-id`), as the documented workflow passes them.
 */
import { readFileSync, statSync } from 'node:fs'
import { asUuid } from '../inputs/ids.js'
import type { Inputs } from '../inputs/inputs.js'
import { isSingle } from '../inputs/sandboxes.js'
import * as log from '../text/log.js'

export const DISPATCH_TYPE = 'aep-flow-run-failed'
// A dispatch event is small (GitHub: at most 10 payload properties); more is not one of ours.
const MAX_EVENT_BYTES = 1024 * 1024

export interface FlowRunFailed {
  runId?: string
  flowId?: string
  sandbox?: string
  orgId?: string
  eventId?: string
}

/** The relay's payload, when this step runs for a dispatch of our type; undefined otherwise. */
export function dispatchedEvent(env = process.env): FlowRunFailed | undefined {
  if (env.GITHUB_EVENT_NAME !== 'repository_dispatch' || !env.GITHUB_EVENT_PATH) return undefined
  let event: { action?: unknown; client_payload?: Record<string, unknown> }
  try {
    if (statSync(env.GITHUB_EVENT_PATH).size > MAX_EVENT_BYTES) return undefined
    event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as typeof event
  } catch {
    return undefined
  }
  if (event?.action !== DISPATCH_TYPE) return undefined
  const p = event.client_payload ?? {}
  const text = (v: unknown, re: RegExp): string | undefined =>
    typeof v === 'string' && re.test(v) ? v : undefined
  return {
    runId: asUuid(p.runId),
    flowId: asUuid(p.flowId),
    sandbox: text(p.sandbox, /^[a-z0-9][a-z0-9-]{0,255}$/),
    orgId: text(p.orgId, /^[A-Za-z0-9]{1,64}@AdobeOrg$/),
    eventId: text(p.eventId, /^[\w.:-]{1,100}$/)
  }
}

/**
 * An event meant for another org or sandbox: the inputs are fine, the event is not this step's.
 * It fails the step (nothing is sent), saying so rather than "Invalid input".
 */
export class ForeignEvent extends Error {
  constructor(readonly problems: { what: 'org' | 'sandbox'; text: string }[]) {
    const whose = problems.map(p => p.what).join(' and ')
    super(
      problems.length === 1
        ? `An event for another ${whose}, not this step's: ${problems[0].text}. Nothing was sent.`
        : `An event for another ${whose}, not this step's (nothing was sent):\n- ${problems.map(p => p.text).join('\n- ')}`
    )
    this.name = 'ForeignEvent'
  }
}

/**
 * Throws when the dispatched event is for another org or sandbox than the step's inputs. With
 * several sandboxes (or `all`), the event's sandbox must be one of them (not excluded); the
 * inputs it answers are then narrowed to that sandbox alone, checked only after the org: an event
 * retries where it happened, never in every sandbox.
 */
export function checkDispatchedEvent(inputs: Inputs, env = process.env): Inputs {
  const event = dispatchedEvent(env)
  if (!event) return inputs
  const selection = inputs.sandboxes
  const several = !isSingle(selection)
  const covered =
    event.sandbox !== undefined &&
    !selection.excluded.includes(event.sandbox) &&
    (selection.all || selection.names.includes(event.sandbox))
  const problems: ConstructorParameters<typeof ForeignEvent>[0] = []
  if (event.orgId !== inputs['org-id'])
    problems.push({
      what: 'org',
      text: `the \`${DISPATCH_TYPE}\` event is for IMS org ${event.orgId ?? '(none given)'}, but \`org-id\` is ${inputs['org-id']}: this workflow does not retry another org's runs (check the relay's ALLOWED_IMS_ORGS and the workflow's secrets)`
    })
  if (several ? !covered : event.sandbox !== inputs.sandbox)
    problems.push({
      what: 'sandbox',
      text: `the \`${DISPATCH_TYPE}\` event is for sandbox ${event.sandbox ?? '(none given)'}, but \`sandbox\` is ${inputs.sandbox}: pass \`sandbox: \${{ github.event.client_payload.sandbox }}\`, or route that sandbox's events to its own workflow`
    })
  if (problems.length) throw new ForeignEvent(problems)
  log.info(
    `Woken by Adobe's run failure event${event.eventId ? ` ${event.eventId}` : ''}: run ${event.runId ?? '?'} of flow ${event.flowId ?? '?'} in sandbox ${event.sandbox}`
  )
  if (!several) return inputs
  log.info(
    `\`sandbox\` is ${inputs.sandbox}: the event's sandbox ${event.sandbox} alone is retried`
  )
  return {
    ...inputs,
    sandbox: event.sandbox!,
    sandboxes: { all: false, names: [event.sandbox!], excluded: [] }
  }
}
