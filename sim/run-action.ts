/**
 * Runs the bundled action the way a GitHub runner does: a child process with
 * `INPUT_<NAME>` variables (hyphens kept, upper-cased), a GITHUB_OUTPUT file and a
 * GITHUB_STEP_SUMMARY file. Shared by the end-to-end tests, the demo and the benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The committed bundle, what GitHub runs. */
export const DIST_ACTION = resolve(fileURLToPath(new URL('.', import.meta.url)), '../dist/index.js')

/**
 * The bundle to run: ACTION_ENTRY when set, else dist/ (the demo, the benchmark). In the
 * end-to-end tests ACTION_ENTRY is the bundle of the current source, build/e2e/<hash>/index.js,
 * reused while the source is unchanged; one set by hand is run as given, and the tests' setup
 * (__tests__/setup/bundle-for-e2e.mjs) first says loudly whether it matches the current source.
 */
export function actionEntry(): string {
  return process.env.ACTION_ENTRY || DIST_ACTION
}

export interface ActionRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  durationMs: number
  /** `::error::` annotations, decoded. */
  errors: string[]
  warnings: string[]
}

export interface RunOptions {
  env?: Record<string, string>
  /** Called once the child is running, e.g. to send it a signal. */
  onSpawn?: (child: ChildProcess) => void
  timeoutMs?: number
  /** The bundle to run instead of `actionEntry()` (the benchmark's baselines). */
  entry?: string
}

export function runAction(
  inputs: Record<string, string>,
  options: RunOptions = {}
): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'aep-action-'))
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/ingestion',
    GITHUB_RUN_ID: '1234567890',
    RUNNER_TEMP: dir,
    // CI runs the end-to-end tests a second time with RUNNER_DEBUG=1: every scenario, debug off and on.
    ...(process.env.RUNNER_DEBUG ? { RUNNER_DEBUG: process.env.RUNNER_DEBUG } : {}),
    ...options.env
  }
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value

  const started = performance.now()
  return new Promise((resolvePromise, reject) => {
    // ACTION_NODE runs the action on another Node.js than the tests' (CI checks Node 24, GitHub's runtime).
    const node = process.env.ACTION_NODE || process.execPath
    const child = spawn(node, [options.entry ?? actionEntry()], {
      env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => (stdout += d))
    child.stderr.on('data', d => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    options.onSpawn?.(child)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const result: ActionRun = {
        code,
        signal,
        stdout,
        stderr,
        outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
        summary: readFileSync(summaryFile, 'utf8'),
        durationMs: performance.now() - started,
        errors: commands(stdout, 'error'),
        warnings: commands(stdout, 'warning')
      }
      rmSync(dir, { recursive: true, force: true })
      resolvePromise(result)
    })
  })
}

/** Parses the runner's output file: `name<<DELIMITER` blocks and `name=value` lines. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const simple = /^([^<=]+)=(.*)$/.exec(lines[i])
    if (simple) outputs[simple[1]] = simple[2]
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (!m) continue
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i])
    outputs[m[1]] = value.join('\n')
  }
  return outputs
}

function commands(stdout: string, kind: string): string[] {
  return stdout
    .split(/\r?\n/)
    .filter(line => line.startsWith(`::${kind}`))
    .map(line =>
      line
        .slice(line.indexOf('::', 2) + 2)
        .replace(/%0A/g, '\n')
        .replace(/%0D/g, '\r')
        .replace(/%25/g, '%')
    )
}
