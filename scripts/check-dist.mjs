// Fails when dist/ is not byte for byte what a fresh bundle of src/ makes: GitHub runs dist/,
// never src/. Bundles into a temporary folder, so it reads the same before and after a commit.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bundle, root } from './bundle.mjs'

const fresh = mkdtempSync(join(tmpdir(), 'aep-check-dist-'))
try {
  bundle(fresh)
  const committed = join(root, 'dist')
  const list = dir => readdirSync(dir).sort()
  const expected = list(fresh)
  const actual = list(committed)
  const problems = [
    ...expected.filter(f => !actual.includes(f)).map(f => `missing from dist/: ${f}`),
    ...actual.filter(f => !expected.includes(f)).map(f => `not made by the bundle: dist/${f}`),
    ...expected
      .filter(f => actual.includes(f))
      .filter(f => !readFileSync(join(fresh, f)).equals(readFileSync(join(committed, f))))
      .map(f => `differs from a fresh bundle: dist/${f}`)
  ]
  if (problems.length) {
    console.error(`dist/ does not match a fresh bundle of src/:\n- ${problems.join('\n- ')}`)
    console.error('Run `npm run bundle` and commit dist/ with the source that produced it.')
    process.exit(1)
  }
  console.log(`dist/ matches a fresh bundle of src/ (${expected.length} files).`)
} finally {
  rmSync(fresh, { recursive: true, force: true })
}
