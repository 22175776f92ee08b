/**
 * `npm run bench`: measures, side by side in one run, what every pipeline pays for one re-trigger
 * and what sweeps pay per request, against the simulator on loopback. Contenders alternate in each
 * round so drift on the machine hits them alike; medians are reported. Asserts nothing: it prints
 * a table and writes docs/performance.md (unless --no-write). `--quick` runs a few iterations with
 * small batches, for CI.
 */
import { execFileSync, spawn } from 'node:child_process'
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CacheService } from '../sim/cache-service.js'
import { GitHubStandIn } from '../sim/github.js'
import { GitHubDispatchStandIn } from '../sim/github-dispatch.js'
import { main as relayMain } from '../relay/src/index.js'
import { seedFullListings, seedOrg, seedSandbox } from '../sim/scenarios.js'
import { Simulator, type SimulatorOptions } from '../sim/simulator.js'
import { actionEntry, parseOutputFile, runAction } from '../sim/run-action.js'
import { playRecovery, recoveryFigures, SCENARIOS } from '../sim/recovery.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const write = !args.includes('--no-write')
const iterations = Number(args[args.indexOf('--iterations') + 1]) || (quick ? 3 : 15)
const TIME = '/usr/bin/time'
const hasTime = existsSync(TIME)
const TOKEN = 'bench-static-token'
// dist/index.js, what GitHub runs; ACTION_ENTRY (e.g. the end-to-end tests' bundle of the current
// source, build/e2e/<hash>/index.js) to measure a change before dist/ is rebuilt.
const ACTION = actionEntry()
if (process.env.ACTION_ENTRY) console.log(`Measuring ACTION_ENTRY=${ACTION}, not dist/`)

interface Sample {
  wallMs: number
  rssMiB?: number
  code: number | null
  outputs: Record<string, string>
  stdout: string
}

/** Runs one process the way a runner does and measures its wall time and peak RSS. */
function measure(
  script: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {}
): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'aep-bench-'))
  const output = join(dir, 'output')
  const rss = join(dir, 'rss')
  writeFileSync(output, '')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    ...extraEnv
  }
  writeFileSync(env.GITHUB_STEP_SUMMARY, '')
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v
  const [cmd, argv] = hasTime
    ? [TIME, ['-f', '%M', '-o', rss, process.execPath, script]]
    : [process.execPath, [script]]
  const started = performance.now()
  return new Promise(resolve => {
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'ignore'] })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.on('close', code => {
      const wallMs = performance.now() - started
      const rssKiB = hasTime ? Number(readFileSync(rss, 'utf8').trim().split('\n').pop()) : NaN
      const sample = {
        wallMs,
        rssMiB: Number.isFinite(rssKiB) ? rssKiB / 1024 : undefined,
        code,
        outputs: parseOutputFile(readFileSync(output, 'utf8')),
        stdout
      }
      rmSync(dir, { recursive: true, force: true })
      resolve(sample)
    })
  })
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

async function withSimulator<T>(
  options: SimulatorOptions,
  work: (sim: Simulator) => Promise<T>
): Promise<T> {
  const sim = new Simulator({ staticTokens: [TOKEN], ...options })
  await sim.start()
  try {
    return await work(sim)
  } finally {
    await sim.stop()
  }
}

// --- single re-trigger: cold start ------------------------------------------------------------

console.log('Building the toolkit floor (ncc, minified)…')
const floorDir = join(root, 'bench/.build/toolkit')
// Built from its own folder, so ncc uses bench/floor/tsconfig.json: the floor keeps the toolkit as
// published (undici included), without the project's undici alias.
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
    'build',
    'toolkit.ts',
    '-o',
    floorDir,
    '--minify',
    '--target',
    'es2022',
    '--quiet'
  ],
  { cwd: join(root, 'bench/floor'), stdio: 'inherit' }
)

interface Contender {
  name: string
  script: string
  inputs: (sim: Simulator) => Record<string, string>
  /** The run to retry; by default a fresh failed run. */
  run?: (sim: Simulator) => string
  env?: Record<string, string>
}

// Escalation's cost when it runs: the same step, with a retry already made that succeeded, so the
// flow reads as recovered and Octokit is loaded to look for its issue (one list call).
const github = await new GitHubStandIn().start()
// On a GitHub runner the Actions cache is there: the retry ledger is restored and saved.
const singleCache = await new CacheService().start()
const singleRunnerTemp = mkdtempSync(join(tmpdir(), 'aep-bench-single-'))
const recoveredRun = (sim: Simulator): string => {
  const runId = sim.addRun({ status: 'failed', createdAt: Date.now() - 60_000 })
  sim.addRun({
    flowId: sim.run(runId)!.flowId as string,
    status: 'success',
    records: 1,
    createdAt: Date.now() - 30_000,
    createdClient: sim.apiKey
  })
  return runId
}
const common = (sim: Simulator) => ({
  sandbox: 'prod',
  'org-id': sim.orgId,
  'platform-url': sim.url,
  'ims-url': sim.url
})
const staticToken = (sim: Simulator) => ({ 'access-token': TOKEN, 'api-key': sim.apiKey })
// `--baseline REV` (repeatable): the committed dist/ of an earlier revision, side by side.
const baselines = args
  .flatMap((a, i) => (a === '--baseline' ? [args[i + 1]] : []))
  .map(rev => {
    const dir = join(root, 'bench/.build', `baseline-${rev.replace(/[^\w.-]/g, '_')}`)
    rmSync(dir, { recursive: true, force: true })
    execFileSync('mkdir', ['-p', dir])
    const archive = execFileSync('git', ['archive', rev, 'dist'], {
      cwd: root,
      maxBuffer: 256 * 2 ** 20
    })
    execFileSync('tar', ['-x', '--strip-components=1', '-C', dir], { input: archive })
    return { rev, script: join(dir, 'index.js') }
  })

const contenders: Contender[] = [
  ...baselines.map(b => ({
    name: `baseline ${b.rev}: static token, check-status false`,
    script: b.script,
    inputs: (sim: Simulator) => ({ ...common(sim), ...staticToken(sim), 'check-status': 'false' })
  })),
  {
    name: 'bare floor (node:http, no toolkit)',
    script: join(root, 'bench/floor-bare.mjs'),
    inputs: sim => ({ ...common(sim), ...staticToken(sim) })
  },
  {
    name: 'toolkit floor (core + http-client, minified)',
    script: join(floorDir, 'index.js'),
    inputs: sim => ({ ...common(sim), ...staticToken(sim) })
  },
  {
    name: 'action: static token, check-status false',
    script: ACTION,
    inputs: sim => ({ ...common(sim), ...staticToken(sim), 'check-status': 'false' })
  },
  {
    name: 'action: default (static token + pre-check)',
    script: ACTION,
    inputs: sim => ({ ...common(sim), ...staticToken(sim) })
  },
  {
    name: 'action: default, on a runner with the Actions cache (retry ledger restored and saved)',
    script: ACTION,
    inputs: sim => ({ ...common(sim), ...staticToken(sim) }),
    env: { ...singleCache.env('v2'), RUNNER_TEMP: singleRunnerTemp }
  },
  {
    name: 'action: OAuth + pre-check',
    script: ACTION,
    inputs: sim => ({ ...common(sim), 'client-id': sim.apiKey, 'client-secret': sim.clientSecret })
  },
  {
    name: 'action: default + issue-on-failure, Octokit loaded (flow recovered)',
    script: ACTION,
    inputs: sim => ({
      ...common(sim),
      ...staticToken(sim),
      'issue-on-failure': 'true',
      'github-token': github.token
    }),
    run: recoveredRun,
    env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'acme/ingestion' }
  }
]

// `--batches`: only the batch rows (while tuning them); never written to docs/performance.md.
const onlyBatches = args.includes('--batches')
const single = onlyBatches
  ? []
  : await withSimulator({}, async sim => {
      const samples = new Map<string, Sample[]>(contenders.map(c => [c.name, []]))
      // One warm-up round (file cache), then alternate the contenders round by round.
      for (let round = 0; round <= iterations; round++) {
        for (const c of contenders) {
          const runId = c.run?.(sim) ?? sim.addRun()
          const sample = await measure(c.script, { ...c.inputs(sim), 'run-id': runId }, c.env)
          if (sample.code !== 0 || !sample.outputs['new-run-id'])
            throw new Error(`${c.name} failed (exit ${sample.code})`)
          if (round > 0) samples.get(c.name)!.push(sample)
        }
      }
      return contenders.map(c => {
        const s = samples.get(c.name)!
        return {
          name: c.name,
          wallMs: median(s.map(x => x.wallMs)),
          rssMiB: hasTime ? median(s.map(x => x.rssMiB ?? NaN)) : undefined
        }
      })
    })
const toolkitFloor = single.find(s => s.name.startsWith('toolkit floor'))?.wallMs ?? NaN
await github.stop()
await singleCache.stop()
rmSync(singleRunnerTemp, { recursive: true, force: true })
const githubLists = github.requests.filter(r => r.method === 'GET').length

// --- event to re-trigger -------------------------------------------------------------------------

// Adobe's failure event through the relay (in-process, as I/O Runtime calls it), GitHub's dispatch
// (the stand-in), and the bundled action run as the dispatch workflow runs it: from the event's
// arrival at the relay to the re-trigger reaching Flow Service. The runner's own queueing and job
// start-up (seconds, GitHub's) are not in it.
const eventRounds = quick ? 3 : 9
const eventToRetrigger = onlyBatches
  ? []
  : await withSimulator({}, async sim => {
      const dispatches = await new GitHubDispatchStandIn().start()
      const dir = mkdtempSync(join(tmpdir(), 'aep-bench-event-'))
      const times: number[] = []
      try {
        for (let round = 0; round <= eventRounds; round++) {
          const runId = sim.addRun({ status: 'failed', createdAt: Date.now() - 60_000 })
          const event = { ...sim.run(runId), flowName: 'crm', imsOrgId: sim.orgId }
          const started = performance.now()
          await relayMain({
            GITHUB_TOKEN: dispatches.token,
            GITHUB_REPOSITORY: dispatches.repository,
            GITHUB_API_URL: dispatches.url,
            ALLOWED_IMS_ORGS: sim.orgId,
            ALLOWED_SANDBOXES: 'prod',
            ...event
          })
          const dispatch = dispatches.dispatches.at(-1)!
          const path = join(dir, 'event.json')
          writeFileSync(
            path,
            JSON.stringify({ action: dispatch.eventType, client_payload: dispatch.clientPayload })
          )
          const sample = await measure(
            ACTION,
            { ...common(sim), ...staticToken(sim), 'run-id': String(dispatch.clientPayload.runId) },
            { GITHUB_EVENT_NAME: 'repository_dispatch', GITHUB_EVENT_PATH: path }
          )
          const post = sim.requests.find(r => r.route === 'retrigger' && r.path.includes(runId))
          if (sample.code !== 0 || !post) throw new Error('event to re-trigger: no re-trigger')
          // performance.now() and Date.now() share the wall clock: the POST's arrival, relative.
          if (round > 0) times.push(post.at - (Date.now() - (performance.now() - started)))
        }
      } finally {
        await dispatches.stop()
        rmSync(dir, { recursive: true, force: true })
      }
      return times
    })

// --- batches ------------------------------------------------------------------------------------

const LATENCY = 50
const CONCURRENCY = 4
const batchRuns = quick ? 40 : 500
const sweepFlows = quick ? 10 : 100
const sandboxFlows = quick ? 100 : 1000

interface BatchResult {
  name: string
  requests: number
  idealMs: number
  wallMs: number
  failed: number
  limited: number
  rssMiB?: number
  /** The retry ledger's restore and save, as the step logged them (ms). */
  ledger?: string
}

// Each batch gets a fresh Actions cache stand-in, so its sweep restores and saves its own retry
// ledger as on a runner (`cache: false`: a runner without one, to show what the ledger costs).
const runnerTemp = mkdtempSync(join(tmpdir(), 'aep-bench-runner-'))
const ledgerFigures = (stdout: string): string | undefined => {
  const restored = /Restored the retry ledger: .*\((\d+) ms\)|No retry ledger saved yet/.exec(
    stdout
  )
  const saved = /Saved the retry ledger: (\d+) re-trigger.*\((\d+) ms\)/.exec(stdout)
  if (!restored && !saved) return undefined
  return `restore ${restored?.[1] ?? (restored ? 'miss' : '–')}${restored?.[1] ? ' ms' : ''}, save ${saved ? `${saved[2]} ms (${saved[1]} entries)` : '–'}`
}

// `--match TEXT`: only the batches whose name holds TEXT (with --batches, while tuning).
const match = args.includes('--match') ? args[args.indexOf('--match') + 1] : undefined

async function batch(
  name: string,
  options: SimulatorOptions,
  setup: (sim: Simulator) => Record<string, string>,
  {
    script = ACTION,
    accept = (state: string) => state === 'retriggered',
    expected,
    cache = true
  }: {
    script?: string
    accept?: (state: string) => boolean
    /** How many runs the row must re-trigger: what a baseline misses counts as not re-triggered. */
    expected?: number
    cache?: boolean
  } = {}
): Promise<BatchResult | undefined> {
  if (match && !name.includes(match)) return undefined
  const cacheService = await new CacheService().start()
  return withSimulator({ latencyMs: LATENCY, ...options }, async sim => {
    const inputs = {
      ...common(sim),
      ...staticToken(sim),
      ...setup(sim),
      concurrency: String(CONCURRENCY)
    }
    const sample = await measure(script, inputs, {
      ...(cache ? cacheService.env('v2') : {}),
      RUNNER_TEMP: runnerTemp,
      GITHUB_RUN_ID: String(Date.now())
    }).finally(() => cacheService.stop())
    if (!sample.outputs.results)
      throw new Error(`${name}: the action wrote no results (exit ${sample.code})`)
    const results = JSON.parse(sample.outputs.results ?? '[]') as { state: string }[]
    const requests = sim.requests.filter(r => r.route).length
    const accepted = requests - sim.rateLimitedCount
    // The floor: latency-bound at this concurrency, or, when rate-limited, bound by the limit itself.
    const latencyBound = (accepted * LATENCY) / CONCURRENCY
    const rateBound = options.rateLimit
      ? (Math.ceil(accepted / options.rateLimit.requests) - 1) * options.rateLimit.windowMs
      : 0
    return {
      name,
      requests: accepted,
      idealMs: Math.max(latencyBound, rateBound),
      wallMs: sample.wallMs,
      failed:
        (expected === undefined
          ? results.filter(r => !accept(r.state)).length
          : expected - results.filter(r => accept(r.state)).length) + (sample.code === 0 ? 0 : 1),
      limited: sim.rateLimitedCount,
      rssMiB: sample.rssMiB,
      ledger: ledgerFigures(sample.stdout)
    }
  })
}

const failedRuns = (sim: Simulator, n: number) =>
  Array.from({ length: n }, () => sim.addRun()).join('\n')
const failingFlows = (sim: Simulator, n: number) =>
  Array.from({ length: n }, (_, i) => {
    const flowId = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
    sim.addRun({ flowId, status: 'success', records: 5, createdAt: Date.now() - 7_200_000 })
    sim.addRun({ flowId, status: 'failed', createdAt: Date.now() - 3_600_000 })
    return flowId
  }).join('\n')

/** The sandbox of sim/scenarios.ts (`seedSandbox`): 100 failed windows over 40 of `flows`. */
const sandbox = (sim: Simulator, flows: number) => {
  seedSandbox(sim, flows)
  return { 'flow-id': 'all', 'max-runs': '0' }
}
const sandboxWindows = (flows: number) => {
  const f = Math.min(40, flows)
  return (f / 2) * 3 + (f / 2) * 2
}

/**
 * 20,000 failed runs listed in one sweep (1,000 flows, 20 failed windows each), decided in a dry
 * run. The failed-run listing past its first pages is read in time slices, `concurrency` at a
 * time (issue 30.4), so its ideal is the row's: its pages ÷ concurrency round trips.
 */
const crowded = (sim: Simulator) => {
  const now = Date.now()
  for (let i = 0; i < 1000; i++) {
    const flowId = sim.addFlow({ name: `flow-${i}` })
    for (let h = 1; h <= 20; h++)
      sim.addRun({ flowId, status: 'failed', createdAt: now - h * 3_600_000 })
  }
  return { 'flow-id': 'all', 'max-runs': '0', 'dry-run': 'true' }
}

console.log(
  `Batches: ${batchRuns} run ids and a sweep of ${sweepFlows} flows, ${LATENCY} ms per request, concurrency ${CONCURRENCY}…`
)
const rateLimit = { requests: 40, windowMs: 1000, retryAfterSeconds: 1 }
/** The sandbox sweep, with and without a rate limit, then the same on each baseline's dist/. */
async function sandboxRows(): Promise<(BatchResult | undefined)[]> {
  const name = `sandbox sweep: ${sandboxFlows} flows, ${sandboxWindows(sandboxFlows)} failed windows in ${Math.min(40, sandboxFlows)} flows`
  const rows: (BatchResult | undefined)[] = []
  const expected = sandboxWindows(sandboxFlows)
  const sweep = (sim: Simulator) => sandbox(sim, sandboxFlows)
  for (const [who, script] of [
    ['', ACTION],
    ...baselines.map(b => [`baseline ${b.rev}: `, b.script])
  ]) {
    rows.push(await batch(`${who}${name}`, {}, sweep, { script, expected }))
    rows.push(
      await batch(`${who}${name}, rate-limited to ${rateLimit.requests}/s`, { rateLimit }, sweep, {
        script,
        expected
      })
    )
  }
  rows.push(await batch(`${name}, no cache service`, {}, sweep, { expected, cache: false }))
  return rows
}
/**
 * Three listings at their bounds (issue 27.10): the sandbox's source flows, its failed runs and
 * the runs of ours, each of `fullPages` pages of ~1 MiB, every item valid and every window
 * settled, so nothing is sent. Its peak RSS is what a sweep keeps of what it read; the page bound
 * (flow-service.ts) is chosen from it. Then the same on each baseline's dist/.
 */
const fullPages = quick ? 20 : 200
const orgFlows = quick ? 100 : 1000
async function boundRows(): Promise<(BatchResult | undefined)[]> {
  const name = `3 listings at their bounds: ${fullPages} pages of ~1 MiB each (${fullPages * 100} flows), every window settled`
  const rows: (BatchResult | undefined)[] = []
  for (const [who, script] of [
    ['', ACTION],
    ...baselines.map(b => [`baseline ${b.rev}: `, b.script])
  ])
    rows.push(
      await batch(
        `${who}${name}`,
        {},
        sim => {
          seedFullListings(sim, fullPages)
          return { 'flow-id': 'all', 'max-runs': '0', 'dry-run': 'true' }
        },
        { script, accept: state => state === 'already-retriggered' }
      )
    )
  return rows
}
const batches = [
  await batch(`${batchRuns} run ids (pre-check + re-trigger)`, {}, sim => ({
    'run-id': failedRuns(sim, batchRuns)
  })),
  await batch(`sweep of ${sweepFlows} flows`, {}, sim => ({
    'flow-id': failingFlows(sim, sweepFlows),
    'max-runs': '0'
  })),
  await batch(
    `${batchRuns} run ids, rate-limited to ${rateLimit.requests}/s`,
    { rateLimit },
    sim => ({ 'run-id': failedRuns(sim, batchRuns) })
  ),
  await batch(
    `sweep of ${sweepFlows} flows, rate-limited to ${rateLimit.requests}/s`,
    { rateLimit },
    sim => ({ 'flow-id': failingFlows(sim, sweepFlows), 'max-runs': '0' })
  ),
  ...(await sandboxRows()),
  // An organisation swept in one step (issue 30): every sandbox found by `sandbox: all`.
  await batch(
    `org sweep (sandbox: all): 10 sandboxes × ${orgFlows} flows, 100 failed windows`,
    {},
    sim => {
      seedOrg(sim, 10, orgFlows, 10)
      return { sandbox: 'all', 'flow-id': 'all', 'max-runs': '0' }
    },
    { expected: 100 }
  ),
  ...(await boundRows()),
  quick
    ? undefined
    : await batch('20,000 failed runs listed, decided (dry run)', { pageSize: 100 }, crowded, {
        accept: state => state === 'would-retrigger'
      })
]

// --- failure to recovery, in simulated time ------------------------------------------------------

/**
 * Each scenario of the retry policy (sim/recovery.ts: events a minute after each failure, the
 * hourly sweep at :17) played through the current dist/ with its defaults, with `retry-backoff: 0`
 * (immediate retries, as before) and through each baseline's dist/.
 */
const recoveryContenders: { name: string; script: string; extra: Record<string, string> }[] = [
  { name: 'action (defaults: retry-backoff 15m)', script: ACTION, extra: {} },
  { name: 'action, retry-backoff 0', script: ACTION, extra: { 'retry-backoff': '0' } },
  ...baselines.map(b => ({ name: `baseline ${b.rev}`, script: b.script, extra: {} }))
]
const recovery: {
  scenario: string
  contender: string
  figures: ReturnType<typeof recoveryFigures>
  windows: number
  retries: number
}[] = []
if (!onlyBatches) {
  console.log('Failure to recovery, in simulated time…')
  for (const scenario of SCENARIOS)
    for (const contender of recoveryContenders)
      await withSimulator({}, async sim => {
        const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 10 * 3_600_000
        sim.setNow(t0)
        const played = await playRecovery(
          sim,
          t0,
          scenario,
          inputs =>
            runAction(inputs, { entry: contender.script, env: { RUNNER_TEMP: runnerTemp } }),
          { ...common(sim), ...staticToken(sim), ...contender.extra }
        )
        recovery.push({
          scenario: scenario.name,
          contender: contender.name,
          figures: recoveryFigures(played),
          windows: played.windows.length,
          retries: played.windows.reduce((n, w) => n + w.retries.length, 0)
        })
      })
}
const minutesOf = (m: number | undefined) => (m === undefined ? '–' : `${Math.round(m)} min`)

// --- report -------------------------------------------------------------------------------------

const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`
const bundleKiB = statSync(ACTION).size / 1024
const floorKiB = statSync(join(floorDir, 'index.js')).size / 1024
const distDir = join(root, 'dist')
const chunks = readdirSync(distDir)
  .filter(f => /^\d+\.index\.js$/.test(f))
  .map(name => {
    const text = readFileSync(join(distDir, name), 'utf8')
    const what = text.includes('UND_ERR')
      ? 'undici, on the first GitHub request'
      : text.includes('ACTIONS_CACHE_SERVICE_V2') || text.includes('BlockBlobClient')
        ? '@actions/cache and the Azure SDK, for the retry ledger'
        : text.includes('aep-retry-ledger')
          ? 'the retry ledger store'
          : text.includes('aep-flow:')
            ? 'the escalation code'
            : text.includes('plugin-throttling') || text.includes('Bottleneck')
              ? '@actions/github, Octokit and its retry and throttling plugins'
              : text.includes('octokit')
                ? '@actions/github and Octokit'
                : 'the escalation code'
    return { name, kiB: statSync(join(distDir, name)).size / 1024, what }
  })
const lines = [
  '# Performance',
  '',
  `Measured by \`npm run bench\`${quick ? ' (quick mode)' : ''} on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, ${process.platform}.`,
  `Each contender runs as a runner runs an action (a child process, \`INPUT_*\` variables, a \`GITHUB_OUTPUT\` file) against the simulator on loopback; contenders alternate round by round; medians of ${iterations} runs after one warm-up round. Peak RSS from \`/usr/bin/time\`${hasTime ? '' : ' (not available on this machine)'}.`,
  '',
  '## One re-trigger (cold start)',
  '',
  '| Contender | Median wall | × toolkit floor | Peak RSS |',
  '| --- | --- | --- | --- |',
  ...single.map(
    s =>
      `| ${s.name} | ${fmt(s.wallMs)} | ${(s.wallMs / toolkitFloor).toFixed(2)} | ${s.rssMiB === undefined ? 'n/a' : `${s.rssMiB.toFixed(1)} MiB`} |`
  ),
  '',
  `Bundle: \`dist/index.js\` ${bundleKiB.toFixed(0)} KiB, what every run loads; toolkit floor ${floorKiB.toFixed(0)} KiB (both minified by ncc). Loaded only when needed (escalation with \`issue-on-failure\`; the retry ledger when there is a failure to decide on a runner with the Actions cache): ${chunks.map(c => `\`dist/${c.name}\` ${c.kiB.toFixed(0)} KiB (${c.what})`).join(', ')}.${onlyBatches ? '' : ` The escalation row made ${githubLists} list call(s) to the GitHub stand-in in ${iterations + 1} runs.`}`,
  '',
  ...(eventToRetrigger.length
    ? [
        '## Event to re-trigger',
        '',
        `Adobe's "Sources Flow Run Failure" event through the relay, GitHub's dispatch (stand-in) and the bundled action run as the dispatch workflow runs it, until the re-trigger reaches Flow Service: median ${fmt(median(eventToRetrigger))} of ${eventToRetrigger.length} (min ${fmt(Math.min(...eventToRetrigger))}, max ${fmt(Math.max(...eventToRetrigger))}). GitHub's own time to queue and start the job (seconds) comes on top; the hourly sweep it replaces finds a failure up to an hour late.`,
        ''
      ]
    : []),
  ...(recovery.length
    ? [
        '## Failure to recovery',
        '',
        "Simulated time: one hourly source flow (5 min runs), Adobe's failure event waking the action a minute after each failure ends, and the hourly sweep at :17, through the bundled action. From a failure to its window ingested (a run of its window succeeded):",
        '',
        '| Scenario | Contender | Failed windows | Retries sent | Median | Worst | Windows lost |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        ...recovery.map(
          r =>
            `| ${r.scenario} | ${r.contender} | ${r.windows} | ${r.retries} | ${minutesOf(r.figures.medianMinutes)} | ${minutesOf(r.figures.worstMinutes)} | ${r.figures.lost} |`
        ),
        '',
        'A mapping error fails every retry the same way (the simulator plays it so): no retry ingests it, so it stays lost until a person fixes the mapping. What counts there is how many retries were spent on it (none by default: it goes to a person at once, with `issue-on-failure` as its issue) instead of `max-retries` of them.',
        ''
      ]
    : []),
  '## Batches',
  '',
  `The simulator adds ${LATENCY} ms to every request; the action runs at concurrency ${CONCURRENCY}. Ideal = requests × latency ÷ concurrency.`,
  '',
  '| Batch | Requests | 429s | Ideal | Wall | × ideal | Runs not re-triggered | Peak RSS | Retry ledger |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...batches
    .filter((b): b is BatchResult => !!b)
    .map(
      b =>
        `| ${b.name} | ${b.requests} | ${b.limited} | ${fmt(b.idealMs)} | ${fmt(b.wallMs)} | ${(b.wallMs / b.idealMs).toFixed(2)} | ${b.failed} | ${b.rssMiB === undefined ? 'n/a' : `${b.rssMiB.toFixed(1)} MiB`} | ${b.ledger ?? '–'} |`
    ),
  '',
  "Runs not re-triggered counts the failed windows a row should have re-triggered (would have, in the dry run) and did not, plus one for a failed step; a baseline that looks only at each flow's latest run shows the windows it misses there. Retry ledger: the step's own figures for restoring and saving it in the Actions cache stand-in. Requests counts those Adobe accepted. Rate-limited rows: the simulator answers 429 with `Retry-After: 1` past its limit per second; their ideal is the larger of the latency bound and the rate bound (whole windows the accepted requests need). Wall time includes the process start-up.",
  ''
]
rmSync(runnerTemp, { recursive: true, force: true })
const table = lines.join('\n')
console.log(`\n${table}`)
if (write && !onlyBatches) {
  const doc = join(root, 'docs/performance.md')
  const notes = existsSync(doc) ? readFileSync(doc, 'utf8').split('<!-- notes -->')[1] : undefined
  writeFileSync(doc, `${table}\n<!-- notes -->${notes ?? '\n'}`)
  console.log(`Written to docs/performance.md`)
}
