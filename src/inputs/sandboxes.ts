/**
 * The `sandbox` input: one name (as it always was), several (newlines or commas), or `all` (every
 * active sandbox the credential can see), with `!name` exclusions after them. Pure: discovery
 * (aep/sandboxes.ts) lists the org's sandboxes, `chooseSandboxes` picks from what it listed.
 */

/** What `sandbox` asks for. */
import { InputError } from './input-error.js'

export interface SandboxSelection {
  /** Every active sandbox the Sandbox Management API lists. */
  all: boolean
  /** The sandboxes named, in the order given, without duplicates or exclusions. */
  names: string[]
  /** `!name` items: never swept, whatever `all` or the names say. */
  excluded: string[]
}

// Adobe sandbox names: lowercase letters, digits and hyphens.
export const SANDBOX_NAME = /^[a-z0-9][a-z0-9-]{0,255}$/
/** How many sandboxes one step sweeps at most (discovery's bound too): past it, use a matrix. */
export const MAX_SANDBOXES = 1_000

/** The input's items parsed; problems are returned, never thrown. `raw` is trimmed and not empty. */
export function parseSandboxes(raw: string): { selection: SandboxSelection; problems: string[] } {
  const problems: string[] = []
  const selection: SandboxSelection = { all: false, names: [], excluded: [] }
  const items = raw
    .split(/[\n,]+/)
    .map(item => item.trim())
    .filter(Boolean)
  for (const item of items) {
    if (item.toLowerCase() === 'all') {
      if (selection.names.length > 0 || selection.excluded.length > 0)
        problems.push('`sandbox`: `all` comes first, alone or followed by `!name` exclusions')
      selection.all = true
      continue
    }
    const excluded = item.startsWith('!')
    const name = excluded ? item.slice(1).trim() : item
    if (!SANDBOX_NAME.test(name)) {
      problems.push(
        `\`sandbox\` must be a sandbox name (lowercase letters, digits and hyphens, e.g. \`prod\`), several, or \`all\` with \`!name\` exclusions, not ${JSON.stringify(item.slice(0, 100))}`
      )
      continue
    }
    if (excluded) {
      if (!selection.excluded.includes(name)) selection.excluded.push(name)
    } else if (selection.all)
      problems.push(
        `\`sandbox\`: \`all\` already names ${name}; after \`all\` only \`!name\` exclusions fit`
      )
    else if (!selection.names.includes(name)) selection.names.push(name)
  }
  selection.names = applyExclusions(selection.names, selection.excluded)
  if (problems.length === 0 && !selection.all && selection.names.length === 0)
    problems.push('`sandbox`: every sandbox named is excluded, so nothing would be swept')
  if (selection.names.length > MAX_SANDBOXES)
    problems.push(
      `\`sandbox\`: at most ${MAX_SANDBOXES} sandboxes fit in one step; split them over a matrix`
    )
  return { selection, problems }
}

/** Whether `sandbox` names one sandbox: then the step is exactly as it always was (no discovery). */
export function isSingle(selection: SandboxSelection): boolean {
  return !selection.all && selection.names.length === 1
}

/** `names` without the excluded ones, order kept. */
export function applyExclusions(names: string[], excluded: string[]): string[] {
  const out = new Set(excluded)
  return names.filter(name => !out.has(name))
}

/** A sandbox as the Sandbox Management API lists it (only what choosing needs). */
export interface ListedSandbox {
  name: string
  state: string
}

/**
 * The sandboxes `all` sweeps: the active ones listed, in the order listed, each once, without the
 * exclusions. A sandbox being created, reset, failed or deleted is not swept (its API is not there
 * to answer, or has nothing of ours to retry).
 */
export function chooseSandboxes(listed: ListedSandbox[], selection: SandboxSelection): string[] {
  const active = new Set<string>()
  for (const s of listed) if (s.state === 'active' && SANDBOX_NAME.test(s.name)) active.add(s.name)
  return applyExclusions([...active], selection.excluded)
}

/**
 * A run named in `run-id` lives in one sandbox: with several (after an event has narrowed them to
 * its own), it is refused before anything is sent, rather than read in the wrong ones.
 */
export function refuseRunIdsAcrossSandboxes(inputs: {
  'run-id': string[]
  sandbox: string
  sandboxes: SandboxSelection
}): void {
  if (inputs['run-id'].length > 0 && !isSingle(inputs.sandboxes))
    throw new InputError([
      `\`run-id\` names runs of one sandbox, but \`sandbox\` is ${inputs.sandbox}: give the runs' sandbox alone (a \`repository_dispatch\` event is narrowed to its own sandbox by itself)`
    ])
}
