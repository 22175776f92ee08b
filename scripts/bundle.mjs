// The one place the bundle is built: `npm run bundle` (into dist/, what GitHub runs), check-dist
// (into a temporary folder, compared with dist/) and the end-to-end tests (into build/e2e/, the
// current source) all call this, so they cannot drift apart in flags.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { resolve } from 'node:path'

export const root = fileURLToPath(new URL('..', import.meta.url))

/** Bundles src/index.ts into `outDir` with ncc; quiet unless it fails. */
export function bundle(outDir) {
  // ncc adds to what is there: a chunk that the source no longer makes must not linger.
  rmSync(outDir, { recursive: true, force: true })
  const ncc = resolve(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js')
  execFileSync(
    process.execPath,
    [
      ncc,
      'build',
      'src/index.ts',
      '-o',
      outDir,
      '--minify',
      '--license',
      'licenses.txt',
      '--target',
      'es2022',
      '--quiet'
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] }
  )
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  bundle(resolve(root, process.argv[2] ?? 'dist'))
}
