import { glob, MAX_MATCHED } from '../inputs/glob.js'
import { keepShown } from '../text/keep.js'
import { asUuid } from '../inputs/ids.js'

/** Why a disabled flow's failures wait (Adobe's 1388-400): said by the sweep and by the refusal. */
export const DISABLED_FLOW =
  'Adobe re-triggers runs of enabled flows only: enable it in Sources > Dataflows (or leave it to its owner), then retry'

export type FlowKind = 'source' | 'destination' | 'internal'

/**
 * A dataflow as `GET /flows` lists it (FlowItemDTO): what a sandbox sweep needs of it, and no
 * more (a listing of 20,000 flows keeps 20,000 of these). Its runs come from the run listings.
 */
export interface FlowInfo {
  id: string
  /** At most NAME_KEPT characters, as shown and as `flow-name` matches it. */
  name?: string
  enabled: boolean
  /** `inheritedAttributes.properties.isSourceFlow`: only source flows' runs are ever re-triggered. */
  isSourceFlow: boolean
  /**
   * `source` (isSourceFlow), `destination` (`isDestinationFlow`, an export), else `internal`: one of
   * Adobe's own flows (e.g. "Datalake to UIS Flow"), which a sandbox-wide run listing shows too.
   */
  kind: FlowKind
}

// As much of a name as `flow-name` matches (glob reads MAX_MATCHED characters): a pattern must
// never miss a flow because its name was clipped. 20,000 flows × 1,000 characters is 20 MB at most.
const NAME_KEPT = MAX_MATCHED

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}

/** A listed flow, or undefined when its id is not a UUID. Names are user-chosen: kept as data, bounded. */
export function parseFlow(value: unknown): FlowInfo | undefined {
  const flow = obj(value)
  const id = asUuid(flow.id)
  if (!id) return undefined
  const properties = obj(obj(flow.inheritedAttributes).properties)
  const isSourceFlow = properties.isSourceFlow === true
  return {
    id,
    // Redacted before it is clipped (a name echoing a secret must not leave a prefix of it
    // behind), and copied flat: a slice would keep the whole name alive (keep.ts).
    name: typeof flow.name === 'string' && flow.name ? keepShown(flow.name, NAME_KEPT) : undefined,
    isSourceFlow,
    kind: isSourceFlow
      ? 'source'
      : properties.isDestinationFlow === true
        ? 'destination'
        : 'internal',
    enabled: typeof flow.state !== 'string' || flow.state.toLowerCase() !== 'disabled'
  }
}

/**
 * Why a run of a flow that is not a source dataflow is never re-triggered, naming the flow: Adobe
 * retries runs of batch sources only, and the action never sends a run of any other flow.
 */
export function notASourceFlow(runId: string, flow: FlowInfo): string {
  const what =
    flow.kind === 'destination'
      ? 'a destination dataflow (an export)'
      : "one of Adobe's internal dataflows"
  return `Not re-triggered: run ${runId} belongs to ${flow.name ? `"${flow.name}" ` : ''}(flow ${flow.id}), ${what}, not a source dataflow. Only runs of source dataflows are ever re-triggered: check \`run-id\`, or look at this flow in Adobe Experience Platform.`
}

/**
 * `flow-name` patterns: `*` matches any text, a leading `!` excludes. A name matches when it
 * matches an include (or there is none) and no exclude. Case-insensitive: names are typed by people.
 */
export function nameFilter(patterns: string[]): (name: string | undefined) => boolean {
  const includes = patterns.filter(p => !p.startsWith('!')).map(p => glob(p))
  const excludes = patterns.filter(p => p.startsWith('!')).map(p => glob(p.slice(1)))
  return name =>
    (includes.length === 0 || includes.some(re => re.test(name ?? ''))) &&
    !excludes.some(re => re.test(name ?? ''))
}

/** The include patterns of `flow-name` that match none of `names`: a typo, or flows not listed. */
export function unmatchedPatterns(patterns: string[], names: (string | undefined)[]): string[] {
  return patterns
    .filter(p => !p.startsWith('!'))
    .filter(p => !names.some(name => glob(p).test(name ?? '')))
}
