// Jest globalSetup of the `e2e` project only (see jest.config.js): jest runs a project's
// globalSetup only when at least one of that project's test files is selected, so unit and
// integration runs never bundle. Points the end-to-end tests (sim/run-action.ts reads
// ACTION_ENTRY) at the bundle of the current source, cached in build/e2e/<hash>/ (see
// e2e-bundle.mjs): they test what src/ says today, not the committed dist/ (which check-dist
// compares separately), and bundle again only when the source changed.
import { existsSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { root } from '../../scripts/bundle.mjs'
import { describeEntry, ensureBundle } from './e2e-bundle.mjs'

// What this setup itself put in ACTION_ENTRY, so that a second run in the same process (watch
// mode) does not take it for one set by hand and keeps bundling the current source.
const OURS = Symbol.for('aep-retry-dataflow-run.e2e-bundle')

export default function bundleForEndToEnd() {
  const chosen = process.env.ACTION_ENTRY
  if (chosen && chosen !== globalThis[OURS]) return announce(chosen)
  const { entry, hash, built, ms } = ensureBundle()
  process.env.ACTION_ENTRY = globalThis[OURS] = entry
  const where = relative(root, entry)
  console.log(
    built
      ? `\nBundled the current source (${hash}) for the end-to-end tests in ${ms} ms: ${where}`
      : `\nEnd-to-end tests reuse the bundle of the current source (${hash}): ${where}`
  )
}

/** ACTION_ENTRY set by hand: run it, but say loudly what it is and whether it is the current source. */
function announce(chosen) {
  if (!existsSync(chosen)) throw new Error(`ACTION_ENTRY=${chosen}: no such file`)
  const { current, lines } = describeEntry(chosen)
  const rule = (current ? '=' : '!').repeat(78)
  const verdict = {
    true: 'It matches the current source.',
    false: 'It is NOT the current source.',
    null: 'It may NOT be the current source.'
  }[String(current)]
  console.warn(
    [
      '',
      rule,
      `ACTION_ENTRY is set by hand: the end-to-end tests run ${resolve(chosen)}`,
      verdict,
      ...lines,
      'Unset ACTION_ENTRY to run the (cached) bundle of the current source.',
      rule
    ].join('\n')
  )
}
