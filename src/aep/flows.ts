import { glob } from '../inputs/glob.js'
import { keepShown } from '../text/keep.js'
import { asUuid } from '../inputs/ids.js'

/** Why a disabled flow's failures wait (Adobe's 1388-400): said by the sweep and by the refusal. */
export const DISABLED_FLOW =
  'Adobe re-triggers runs of enabled flows only: enable it in Sources > Dataflows (or leave it to its owner), then retry'

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
}

const NAME_KEPT = 200

const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}

/** A listed flow, or undefined when its id is not a UUID. Names are user-chosen: kept as data, bounded. */
export function parseFlow(value: unknown): FlowInfo | undefined {
  const flow = obj(value)
  const id = asUuid(flow.id)
  if (!id) return undefined
  return {
    id,
    // Redacted before it is clipped (a name echoing a secret must not leave a prefix of it
    // behind), and copied flat: a slice would keep the whole name alive (keep.ts).
    name: typeof flow.name === 'string' && flow.name ? keepShown(flow.name, NAME_KEPT) : undefined,
    isSourceFlow: obj(obj(flow.inheritedAttributes).properties).isSourceFlow === true,
    enabled: typeof flow.state !== 'string' || flow.state.toLowerCase() !== 'disabled'
  }
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
