import * as core from '@actions/core'
import { createTokenSource } from './aep/auth.js'
import { CancelledError, errorMessage } from './aep/errors.js'
import { FlowService } from './aep/flow-service.js'
import { handleRun, type Shared } from './step/handle-run.js'
import { StepResults } from './step/step-results.js'
import { skipErrors } from './decide/decide.js'
import { FlowRuns } from './step/flow-runs.js'
import { Transport } from './aep/http.js'
import { ownedBy } from './decide/identity.js'
import { LedgerSession, ledgerSecret } from './ledger/session.js'
import { checkDispatchedEvent } from './github/dispatch-event.js'
import { readInputs, type Inputs, type IssueSettings } from './inputs/inputs.js'
import * as log from './text/log.js'
import { Pacer } from './aep/pacing.js'
import { KeyedLock, WorkQueue } from './step/pool.js'
import { escalations, nothingToEscalate } from './github/escalation.js'
import { writeOutputs } from './report/outputs.js'
import { groupByCause, workflowRunUrl, type Report } from './report/report.js'
import { writeSummary } from './report/summary.js'
import { stepVerdict } from './report/verdict.js'
import { sweepFlows } from './step/sweep.js'
import { waitForRuns } from './step/wait.js'
import { isSingle, refuseRunIdsAcrossSandboxes } from './inputs/sandboxes.js'
import { retryInSandboxes } from './sandboxes.js'

/** The action: read inputs, authenticate, choose runs, re-trigger them, optionally wait; then report. */
export async function run(): Promise<void> {
  const report: Report = {
    results: [],
    skippedFlows: [],
    sweptFlows: [],
    issues: [],
    looked: false
  }
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (report.cancelled) return
    report.cancelled = true
    log.warning(`Received ${signal}: stopping and reporting what was done so far.`)
    controller.abort()
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  const transports: Transport[] = []

  try {
    report.inputs = checkDispatchedEvent(readInputs())
    refuseRunIdsAcrossSandboxes(report.inputs)
    const reads = new Transport(report.inputs['request-timeout'], true)
    const writes = new Transport(report.inputs['request-timeout'], false)
    transports.push(reads, writes)
    await retryFailedRuns(report.inputs, report, { reads, writes, signal: controller.signal })
  } catch (err) {
    if (err instanceof CancelledError || controller.signal.aborted) report.cancelled = true
    else report.stepError = errorMessage(err)
  } finally {
    transports.forEach(t => t.dispose())
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
  }

  writeOutputs(report)
  try {
    await writeSummary(report)
  } catch (err) {
    log.warning(`Could not write the job summary: ${errorMessage(err)}`)
  }
  const verdict = stepVerdict(report)
  for (const error of verdict.errors) log.error(error)
  for (const warning of verdict.warnings) log.warning(warning)
  if (verdict.failure) log.setFailed(verdict.failure)
}

interface Wiring {
  reads: Transport
  writes: Transport
  signal: AbortSignal
}

/**
 * The step's pipeline: authenticate, select and re-trigger (with the retry ledger), wait,
 * escalate. What it finds goes into `report` as each phase ends, so a failure or cancellation
 * still reports what was done until then.
 */
async function retryFailedRuns(
  inputs: Inputs,
  report: Report,
  { reads, writes, signal }: Wiring
): Promise<void> {
  const pacer = new Pacer()
  const budget = { maxAttempts: inputs['max-attempts'], timeoutMs: inputs['retry-timeout'] }
  const tokens = createTokenSource(inputs.credentials, {
    imsUrl: inputs['ims-url'],
    transport: writes,
    pacer,
    budget,
    signal
  })
  if (tokens.kind === 'oauth') {
    await core.group('Authenticate (OAuth Server-to-Server)', async () => {
      await tokens.token()
      log.info(`Access token received from ${inputs['ims-url']}`)
    })
  }
  // Several sandboxes (or `all`): each swept as one would be, sharing the token, pacer and pool.
  // One sandbox goes on below exactly as it always did: no discovery, no other request.
  if (!isSingle(inputs.sandboxes))
    return retryInSandboxes(inputs, report, { reads, writes, signal, pacer, budget, tokens })
  const flowService = new FlowService({
    platformUrl: inputs['platform-url'],
    sandbox: inputs.sandbox,
    orgId: inputs['org-id'],
    apiKey: inputs.apiKey,
    requestTimeoutMs: inputs['request-timeout'],
    tokens,
    reads,
    writes,
    pacer,
    budget,
    signal,
    listConcurrency: inputs.concurrency
  })

  const results = new StepResults()
  results.expect(inputs['run-id'].map(runId => ({ runId, source: 'run-id', state: 'pending' })))
  const ledger = new LedgerSession(
    { orgId: inputs['org-id'], sandbox: inputs.sandbox },
    // Cache calls take well under a second; a hung one must not hold the step (or a cancellation).
    Math.min(30_000, Math.max(5_000, inputs['request-timeout'])),
    // Entries are signed with a key derived from it, so another workflow cannot forge them.
    ledgerSecret(inputs.credentials)
  )
  report.ledger = ledger.figures
  const shared: Shared = {
    flowService,
    inputs,
    owns: ownedBy(inputs.apiKey),
    flowRuns: new FlowRuns(flowService),
    ledger,
    needsFix: skipErrors(inputs['skip-errors']),
    claimed: new Set(),
    sent: new Map(),
    perFlow: new KeyedLock(),
    signal
  }
  // One pool for everything: runs named in `run-id` start at once, a sweep's runs as they are found.
  const queue = new WorkQueue(inputs.concurrency)
  const sweeping = inputs['flow-id'].all || inputs['flow-id'].ids.length > 0
  try {
    await core.group(
      inputs['dry-run'] ? 'Select and pre-check (dry run)' : 'Select and re-trigger',
      async () => {
        for (const runId of inputs['run-id'])
          queue.push(async () => results.record(runId, await handleRun(runId, shared)))
        if (sweeping) {
          const found = await sweepFlows(shared, results, queue)
          report.sweptFlows = found.sweptFlows
          report.skippedFlows = found.skippedFlows
          report.maxRunsExceeded = found.maxRunsExceeded
          report.unread = found.unread
          report.stepError = found.error
        }
        await queue.drain()
      }
    )
    report.looked = true
  } finally {
    report.results = results.all
    // What was re-triggered is saved whatever happens next: a failed or cancelled step too.
    await ledger.save()
  }
  if (signal.aborted) throw new CancelledError()
  if (report.results.length === 0) log.notice('No failed run to retry.')
  for (const cause of groupByCause(report.results))
    log.info(
      `Cause ${cause.code}: ${cause.runs} run(s) in ${cause.flows} flow(s), e.g. "${cause.example}"`
    )

  const newRuns = report.results.flatMap(r => (r.newRunId ? [r.newRunId] : []))
  if (inputs.wait && !inputs['dry-run'] && newRuns.length > 0) {
    const waited = await core.group('Wait for the new run(s) to finish', () =>
      waitForRuns(flowService, newRuns, {
        intervalMs: inputs['poll-interval'],
        timeoutMs: inputs['wait-timeout'],
        concurrency: inputs.concurrency,
        failOnRunFailure: inputs['fail-on-run-failure'],
        signal
      })
    )
    for (const [newRunId, what] of waited) results.waited(newRunId, what)
    report.results = results.all
  }
  if (inputs.issues && !inputs['dry-run'] && !signal.aborted)
    await escalate(inputs, inputs.issues, report, signal)
}

/** Hands what no retry fixes to a person through GitHub issues; never changes the step's verdict. */
async function escalate(
  inputs: Inputs,
  settings: IssueSettings,
  report: Report,
  signal: AbortSignal
): Promise<void> {
  const work = escalations(report)
  if (nothingToEscalate(work)) return
  await core.group('Escalate through GitHub issues', async () => {
    try {
      // Loaded here only: Octokit is its own chunk of dist/, so no other run pays for it.
      const { fileIssues } = await import('./github/issues.js')
      const filed = await fileIssues(settings, work, {
        sandbox: inputs.sandbox,
        maxRetries: inputs['max-retries'],
        runUrl: workflowRunUrl(),
        requestTimeoutMs: inputs['request-timeout'],
        signal
      })
      report.issues = filed.actions
      report.issueProblems = filed.problems
    } catch (err) {
      const text = `Could not file GitHub issues: ${errorMessage(err)}. The step's result is unchanged.`
      report.issueProblems = [text]
      log.warning(text)
    }
  })
}
