// Jest globalSetup: bundle the current source once per jest run into build/e2e/, and point the
// end-to-end tests at it (sim/run-action.ts reads ACTION_ENTRY). They then test what src/ says
// today, not the committed dist/ (which check-dist compares separately).
import { resolve } from 'node:path'
import { bundle, root } from '../../scripts/bundle.mjs'

export default function bundleForEndToEnd() {
  // ACTION_ENTRY set by hand runs the suite against another bundle (the committed dist/, an old one).
  if (process.env.ACTION_ENTRY)
    return console.log(`\nEnd-to-end tests run ${process.env.ACTION_ENTRY}`)
  const out = resolve(root, 'build/e2e')
  const started = Date.now()
  bundle(out)
  process.env.ACTION_ENTRY = resolve(out, 'index.js')
  console.log(`\nBundled the current source for the end-to-end tests in ${Date.now() - started} ms`)
}
