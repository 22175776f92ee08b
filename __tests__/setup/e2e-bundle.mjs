// The end-to-end tests' bundle of the current source, cached by what it is built from:
// build/e2e/<hash>/index.js, where <hash> covers every file under src/ plus scripts/bundle.mjs,
// package.json, package-lock.json and tsconfig.json. The same source reuses the bundle; any change
// to those files makes a new one. A bundle is built in a temporary folder and renamed into place
// only when the source did not change meanwhile, so build/e2e/<hash>/ is always complete and
// always what <hash> says (two jest runs at once may both bundle; the first rename wins).
import { createHash } from 'node:crypto'
import {
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync
} from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import { bundle, root } from '../../scripts/bundle.mjs'

export const cacheDir = resolve(root, 'build/e2e')
export const distDir = resolve(root, 'dist')
const INPUT_FILES = ['scripts/bundle.mjs', 'package.json', 'package-lock.json', 'tsconfig.json']
const HASH = /^[0-9a-f]{16}$/
/** Bundles kept in build/e2e/ (the most recently used); older ones are removed. */
const KEEP = 4

/** Every file the bundle is built from, relative to the repository, sorted. */
function inputs() {
  const src = readdirSync(resolve(root, 'src'), { recursive: true })
    .map(f => join('src', f))
    .filter(f => statSync(resolve(root, f)).isFile())
  return [...src, ...INPUT_FILES].map(f => f.split(sep).join('/')).sort()
}

/** The hash of everything the bundle is built from: its name in build/e2e/. */
export function sourceHash() {
  const hash = createHash('sha256')
  for (const file of inputs()) {
    const content = readFileSync(resolve(root, file))
    hash.update(`${file}\0${content.length}\0`).update(content)
  }
  return hash.digest('hex').slice(0, 16)
}

/** The newest modification time among the bundle's inputs (ms). */
function newestInput() {
  return Math.max(...inputs().map(f => statSync(resolve(root, f)).mtimeMs))
}

/**
 * The bundle of the current source: reused from build/e2e/<hash>/ when there, else built.
 * Returns { entry, hash, built, ms }.
 */
export function ensureBundle() {
  const started = Date.now()
  for (let attempt = 1; ; attempt++) {
    const hash = sourceHash()
    const dir = join(cacheDir, hash)
    if (existsSync(join(dir, 'index.js'))) {
      touch(dir)
      prune(hash)
      return { entry: join(dir, 'index.js'), hash, built: false, ms: Date.now() - started }
    }
    const tmp = join(cacheDir, `.tmp-${process.pid}-${Date.now()}`)
    try {
      bundle(tmp)
      if (sourceHash() !== hash) {
        // Someone edited the source while ncc ran: this bundle may be of neither version.
        if (attempt < 3) continue
        throw new Error('the source kept changing while it was being bundled; run the tests again')
      }
      try {
        renameSync(tmp, dir)
      } catch (error) {
        // Another jest run put the same bundle there first: use theirs.
        if (!existsSync(join(dir, 'index.js'))) throw error
      }
      prune(hash)
      return { entry: join(dir, 'index.js'), hash, built: true, ms: Date.now() - started }
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
  }
}

function touch(dir) {
  const now = new Date()
  utimesSync(dir, now, now)
}

/**
 * Keeps the KEEP most recently used bundles; removes the rest, temporary folders an interrupted
 * run left behind (older than an hour), and files of the old unhashed layout (build/e2e/index.js,
 * a bundle of unknown source).
 */
function prune(current) {
  const entries = readdirSync(cacheDir, { withFileTypes: true })
  const remove = name => rmSync(join(cacheDir, name), { recursive: true, force: true })
  const age = name => Date.now() - statSync(join(cacheDir, name)).mtimeMs
  for (const entry of entries) {
    if (entry.isFile()) remove(entry.name)
    else if (entry.name.startsWith('.tmp-') && age(entry.name) > 3_600_000) remove(entry.name)
  }
  entries
    .filter(e => e.isDirectory() && HASH.test(e.name) && e.name !== current)
    .map(e => ({ name: e.name, used: statSync(join(cacheDir, e.name)).mtimeMs }))
    .sort((a, b) => b.used - a.used)
    .slice(KEEP - 1)
    .forEach(e => remove(e.name))
}

/** Files in `a` and `b` that differ, as check-dist lists them; [] when the folders match. */
export function compareFolders(a, b) {
  const list = dir => readdirSync(dir).sort()
  const expected = list(a)
  const actual = list(b)
  return [
    ...expected.filter(f => !actual.includes(f)).map(f => `missing: ${f}`),
    ...actual.filter(f => !expected.includes(f)).map(f => `not made by the bundle: ${f}`),
    ...expected
      .filter(f => actual.includes(f))
      .filter(f => !readFileSync(join(a, f)).equals(readFileSync(join(b, f))))
      .map(f => `differs: ${f}`)
  ]
}

/**
 * What an ACTION_ENTRY set by hand is, compared with the current source: a cached bundle (by its
 * hash), dist/ (file by file against the bundle of the current source) or something else (by
 * age). Returns { current, lines }: current is true, false, or null when it cannot be told.
 */
export function describeEntry(entry) {
  const path = resolve(entry)
  if (!existsSync(path)) return { current: false, lines: [`${path} does not exist.`] }
  const dir = resolve(path, '..')
  const inCache = relative(cacheDir, dir)
  if (!inCache.startsWith('..') && HASH.test(inCache)) {
    const hash = sourceHash()
    return inCache === hash
      ? { current: true, lines: [`It is the cached bundle of the current source (${hash}).`] }
      : {
          current: false,
          lines: [
            `STALE: it was built from other source (${inCache}); the current source is ${hash}.`
          ]
        }
  }
  if (dir === distDir) {
    const fresh = ensureBundle()
    const against = `build/e2e/${fresh.hash}/${fresh.built ? `, bundled now in ${fresh.ms} ms` : ''}`
    const problems = compareFolders(resolve(fresh.entry, '..'), distDir)
    return problems.length
      ? {
          current: false,
          lines: [
            `STALE: dist/ is not what the current source bundles to (${against}):`,
            ...problems.map(p => `  - ${p}`),
            'Run `npm run bundle` to rebuild it.'
          ]
        }
      : {
          current: true,
          lines: [`dist/ matches the bundle of the current source file by file (${against}).`]
        }
  }
  const older = statSync(path).mtimeMs < newestInput()
  return {
    current: null,
    lines: [
      'Not built by the test setup: whether it matches the current source is unknown.',
      ...(older ? ['WARNING: it is older than the newest file in src/ (or the build inputs).'] : [])
    ]
  }
}
