/**
 * Several sandboxes in one step (`sandbox: prod, dev-eu` or `all`): each swept as a one-sandbox
 * step sweeps, with its own FlowService (its own `x-sandbox-name`), retry ledger (keyed by org and
 * sandbox) and `max-runs`; one token source, one pacer and one work queue (`concurrency`) for all.
 * A sandbox that refuses or fails is recorded and the others go on; the verdict names it.
 * main.ts calls this only when `sandbox` names more than one: one sandbox never comes here.
 */
import * as core from '@actions/core'
import type { TokenSource } from './aep/auth.js'
import { CancelledError, errorMessage } from './aep/errors.js'
import { FlowService } from './aep/flow-service.js'
import type { Transport } from './aep/http.js'
import type { Pacer } from './aep/pacing.js'
import type { RetryBudget } from './aep/retry.js'
import { listSandboxes } from './aep/sandboxes.js'
import { skipErrors } from './decide/decide.js'
import { ownedBy } from './decide/identity.js'
import { escalations, nothingToEscalate } from './github/escalation.js'
import type { Inputs } from './inputs/inputs.js'
import { chooseSandboxes } from './inputs/sandboxes.js'
import { LedgerSession, ledgerSecret } from './ledger/session.js'
import { workflowRunUrl, type Report } from './report/report.js'
import { FlowRuns } from './step/flow-runs.js'
import type { Shared } from './step/handle-run.js'
import { KeyedLock, WorkQueue } from './step/pool.js'
import type { RunResult } from './step/result.js'
import { StepResults } from './step/step-results.js'
import { sweepFlows, type SweepFindings } from './step/sweep.js'
import { waitForRuns } from './step/wait.js'
import * as log from './text/log.js'

export interface Wiring {
  reads: Transport
  writes: Transport
  signal: AbortSignal
  pacer: Pacer
  budget: RetryBudget
  tokens: TokenSource
}

/** One sandbox's part of the step. */
interface Part {
  sandbox: string
  flowService: FlowService
  ledger: LedgerSession
  results: StepResults
  shared: Shared
  found?: SweepFindings
  error?: string
}

export async function retryInSandboxes(
  inputs: Inputs,
  report: Report,
  wiring: Wiring
): Promise<void> {
  const { signal } = wiring
  const names = inputs.sandboxes.all ? await discover(inputs, wiring) : inputs.sandboxes.names
  report.sandboxes = names
  log.info(`Sandboxes to sweep (${names.length}): ${names.join(', ') || '(none)'}`)

  const queue = new WorkQueue(inputs.concurrency)
  const parts = names.map(sandbox => part(inputs, sandbox, wiring))
  try {
    await core.group(
      `${inputs['dry-run'] ? 'Select and pre-check (dry run)' : 'Select and re-trigger'} in ${names.length} sandbox(es)`,
      async () => {
        // Listings a few sandboxes at a time (the pacer and pool bound the rest); a sandbox's
        // re-triggers join the shared queue as its sweep finds them.
        await eachLimited(parts, Math.max(1, Math.min(inputs.concurrency, 4)), async p => {
          try {
            const found = await sweepFlows(p.shared, p.results, queue)
            p.found = found
            if (found.error) p.error = found.error
            else if (found.maxRunsExceeded)
              p.error = `${found.maxRunsExceeded} failed window(s) to re-trigger, more than \`max-runs\` (${inputs['max-runs']}): none of them was re-triggered`
          } catch (err) {
            if (signal.aborted) return
            p.error = errorMessage(err)
          }
          if (p.error) log.error(`Sandbox ${p.sandbox}: ${p.error}`)
        })
        await queue.drain()
      }
    )
    report.looked = parts.some(p => !p.error)
  } finally {
    gather(report, parts)
    // What was re-triggered is saved whatever happens next, sandbox by sandbox and one after
    // another: every save writes the one ledger folder under RUNNER_TEMP (its path is part of the
    // cache version), so two at once would collide.
    for (const p of parts) await p.ledger.save()
  }
  if (signal.aborted) throw new CancelledError()
  if (report.results.length === 0) log.notice('No failed run to retry.')

  if (inputs.wait && !inputs['dry-run'])
    await core.group('Wait for the new run(s) to finish', () =>
      Promise.all(
        parts.map(async p => {
          const newRuns = p.results.all.flatMap(r => (r.newRunId ? [r.newRunId] : []))
          if (newRuns.length === 0) return
          const waited = await waitForRuns(p.flowService, newRuns, {
            intervalMs: inputs['poll-interval'],
            timeoutMs: inputs['wait-timeout'],
            concurrency: inputs.concurrency,
            failOnRunFailure: inputs['fail-on-run-failure'],
            signal
          })
          for (const [newRunId, what] of waited) p.results.waited(newRunId, what)
        })
      )
    )
  gather(report, parts)
  if (inputs.issues && !inputs['dry-run'] && !signal.aborted) await escalate(inputs, report, parts)
}

/** The active sandboxes the credential sees, without the exclusions. */
async function discover(inputs: Inputs, wiring: Wiring): Promise<string[]> {
  return core.group('Discover the sandboxes (Sandbox Management API)', async () => {
    const listed = await listSandboxes({
      platformUrl: inputs['platform-url'],
      orgId: inputs['org-id'],
      apiKey: inputs.apiKey,
      tokens: wiring.tokens,
      reads: wiring.reads,
      pacer: wiring.pacer,
      budget: wiring.budget,
      signal: wiring.signal
    })
    const chosen = chooseSandboxes(listed, inputs.sandboxes)
    log.info(
      `${listed.length} sandbox(es) listed, ${chosen.length} active and not excluded${inputs.sandboxes.excluded.length ? ` (excluded: ${inputs.sandboxes.excluded.join(', ')})` : ''}`
    )
    return chosen
  })
}

function part(inputs: Inputs, sandbox: string, wiring: Wiring): Part {
  // The sandbox's own inputs: everything downstream reads `sandbox` as the one it works in.
  const own: Inputs = {
    ...inputs,
    sandbox,
    sandboxes: { all: false, names: [sandbox], excluded: [] }
  }
  const flowService = new FlowService({
    platformUrl: inputs['platform-url'],
    sandbox,
    orgId: inputs['org-id'],
    apiKey: inputs.apiKey,
    requestTimeoutMs: inputs['request-timeout'],
    tokens: wiring.tokens,
    reads: wiring.reads,
    writes: wiring.writes,
    pacer: wiring.pacer,
    budget: wiring.budget,
    signal: wiring.signal
  })
  const ledger = new LedgerSession(
    { orgId: inputs['org-id'], sandbox },
    Math.min(30_000, Math.max(5_000, inputs['request-timeout'])),
    // Signed with a key derived from the credential and the sandbox (session.ts).
    ledgerSecret(inputs.credentials)
  )
  const shared: Shared = {
    flowService,
    inputs: own,
    owns: ownedBy(inputs.apiKey),
    flowRuns: new FlowRuns(flowService),
    ledger,
    needsFix: skipErrors(inputs['skip-errors']),
    claimed: new Set(),
    sent: new Map(),
    perFlow: new KeyedLock(),
    signal: wiring.signal
  }
  return { sandbox, flowService, ledger, results: new StepResults(), shared }
}

/** Every sandbox's rows (each naming its sandbox), flows and failures, into the step's report. */
function gather(report: Report, parts: Part[]): void {
  report.results = parts.flatMap(p => p.results.all.map(r => ({ ...r, sandbox: p.sandbox })))
  report.sweptFlows = parts.flatMap(p => p.found?.sweptFlows ?? [])
  report.skippedFlows = parts.flatMap(p => p.found?.skippedFlows ?? [])
  report.sandboxFailures = parts.flatMap(p =>
    p.error ? [{ sandbox: p.sandbox, error: p.error }] : []
  )
}

/** Issues per (sandbox, flow): each sandbox's flows filed with that sandbox's context. */
async function escalate(inputs: Inputs, report: Report, parts: Part[]): Promise<void> {
  const settings = inputs.issues!
  await core.group('Escalate through GitHub issues', async () => {
    for (const p of parts) {
      const work = escalations({
        results: report.results.filter((r: RunResult) => r.sandbox === p.sandbox),
        sweptFlows: p.found?.sweptFlows ?? []
      })
      if (nothingToEscalate(work)) continue
      try {
        const { fileIssues } = await import('./github/issues.js')
        const filed = await fileIssues(settings, work, {
          sandbox: p.sandbox,
          several: true,
          maxRetries: inputs['max-retries'],
          runUrl: workflowRunUrl(),
          requestTimeoutMs: inputs['request-timeout'],
          signal: p.shared.signal
        })
        report.issues.push(...filed.actions)
        report.issueProblems = [...(report.issueProblems ?? []), ...filed.problems]
      } catch (err) {
        const text = `Could not file GitHub issues for sandbox ${p.sandbox}: ${errorMessage(err)}. The step's result is unchanged.`
        report.issueProblems = [...(report.issueProblems ?? []), text]
        log.warning(text)
      }
    }
  })
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++])
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
