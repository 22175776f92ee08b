// Builds the relay into one CommonJS file for I/O Runtime: build/relay/index.js (`exports.main`),
// or <dir>/index.js with `node relay/build.mjs <dir>`. Only tools the repository already installs:
// tsc compiles relay/src to CommonJS, then ncc bundles that into a single file with no
// dependencies but Node's own modules. Nothing here touches the action's dist/.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = resolve(root, process.argv[2] ?? 'build/relay')
const cjs = resolve(out, 'cjs')
const bundled = resolve(out, 'ncc')

rmSync(out, { recursive: true, force: true })
const run = (...args) =>
  execFileSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })

// 1. TypeScript to CommonJS (the repository's package.json says "type": "module"; this folder
//    says otherwise, so that ncc and Node read the output as CommonJS).
run(
  resolve(root, 'node_modules/typescript/bin/tsc'),
  ...['-p', 'relay/tsconfig.json', '--noEmit', 'false', '--outDir', cjs],
  ...['--module', 'commonjs', '--moduleResolution', 'node10', '--ignoreDeprecations', '5.0']
)
mkdirSync(cjs, { recursive: true })
writeFileSync(resolve(cjs, 'package.json'), '{ "type": "commonjs" }\n')

// 2. One file.
run(
  resolve(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
  ...['build', resolve(cjs, 'src/index.js'), '-o', bundled, '--target', 'es2022', '--quiet']
)
copyFileSync(resolve(bundled, 'index.js'), resolve(out, 'index.js'))
writeFileSync(resolve(out, 'package.json'), '{ "type": "commonjs" }\n')
rmSync(cjs, { recursive: true, force: true })
rmSync(bundled, { recursive: true, force: true })
console.log(`relay: wrote ${resolve(out, 'index.js')}`)
