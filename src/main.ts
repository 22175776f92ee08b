import * as core from '@actions/core'
import { createTokenSource } from './auth.js'
import { CancelledError, errorMessage } from './errors.js'
import { FlowService } from './flow-service.js'
import { handleRun, type Shared } from './handle-run.js'
import { FlowHistories } from './history.js'
import { Transport } from './http.js'
import { readInputs, type Inputs } from './inputs.js'
import * as log from './log.js'
import { Pacer } from './pacing.js'
import { KeyedLock, mapLimited } from './pool.js'
import { writeOutputs, writeSummary, type Report } from './report.js'
import { isFailure } from './result.js'
import type { RunInfo } from './runs.js'
import { selectFromFlow } from './select.js'
import { waitForRuns } from './wait.js'

/** The action: read inputs, authenticate, choose runs, re-trigger them, optionally wait; then report. */
export async function run(): Promise<void> {
  const report: Report = { results: [], skippedFlows: [] }
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
    report.inputs = readInputs()
    const reads = new Transport(report.inputs.requestTimeoutMs, true)
    const writes = new Transport(report.inputs.requestTimeoutMs, false)
    transports.push(reads, writes)
    await retrigger(report.inputs, report, { reads, writes, signal: controller.signal })
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
  if (verdict) log.setFailed(verdict)
}

interface Wiring {
  reads: Transport
  writes: Transport
  signal: AbortSignal
}

async function retrigger(
  inputs: Inputs,
  report: Report,
  { reads, writes, signal }: Wiring
): Promise<void> {
  const pacer = new Pacer()
  const budget = { maxAttempts: inputs.maxAttempts, timeoutMs: inputs.retryTimeoutMs }
  const tokens = createTokenSource(inputs.credentials, {
    imsUrl: inputs.imsUrl,
    transport: writes,
    pacer,
    budget,
    signal
  })
  if (tokens.kind === 'oauth') {
    await core.group('Authenticate (OAuth Server-to-Server)', async () => {
      await tokens.token()
      log.info(`Access token received from ${inputs.imsUrl}`)
    })
  }
  const flowService = new FlowService({ ...inputs, tokens, reads, writes, pacer, budget, signal })
  const histories = new FlowHistories(flowService)

  report.results = inputs.runIds.map(runId => ({ runId, source: 'run-id', state: 'pending' }))
  const sweepSince = flowService.serverTime() - inputs.lookbackMs
  const listed =
    inputs.flowIds.length > 0
      ? await selectFromFlows(histories, sweepSince, inputs, report)
      : new Map<string, RunInfo>()
  if (report.results.length === 0) {
    log.notice('No failed run to retry.')
    return
  }

  const progress = { done: 0, total: report.results.length }
  const shared: Shared = {
    flowService,
    inputs,
    histories,
    listed,
    sweepSince,
    progress,
    claimed: new Set(),
    perFlow: new KeyedLock(),
    signal
  }
  const title = inputs.dryRun
    ? `Pre-check ${progress.total} run(s) (dry run)`
    : `Re-trigger ${progress.total} run(s)`
  await core.group(title, () =>
    mapLimited(report.results, inputs.concurrency, result => handleRun(result, shared))
  )
  if (signal.aborted) throw new CancelledError()

  if (inputs.wait && !inputs.dryRun && report.results.some(r => r.newRunId)) {
    await core.group('Wait for the new run(s) to finish', () =>
      waitForRuns(flowService, report.results, {
        intervalMs: inputs.pollIntervalMs,
        timeoutMs: inputs.waitTimeoutMs,
        concurrency: inputs.concurrency,
        signal
      })
    )
  }
}

/** Adds each flow's run to retry (its latest, if failed within the lookback) to the report. */
async function selectFromFlows(
  histories: FlowHistories,
  since: number,
  inputs: Inputs,
  report: Report
): Promise<Map<string, RunInfo>> {
  const listed = new Map<string, RunInfo>()
  await core.group(`Select failed runs of ${inputs.flowIds.length} flow(s)`, async () => {
    const selections = await mapLimited(inputs.flowIds, inputs.concurrency, flowId =>
      selectFromFlow(histories, flowId, since, inputs.apiKey)
    )
    for (const selection of selections) {
      if (!selection.run) {
        log.info(`Flow ${selection.flowId}: nothing to retry (${selection.reason})`)
        report.skippedFlows.push({ flowId: selection.flowId, reason: selection.reason })
      } else if (!report.results.some(r => r.runId === selection.run.id)) {
        log.info(`Flow ${selection.flowId}: latest run ${selection.run.id} failed`)
        listed.set(selection.run.id, selection.run)
        report.results.push({ runId: selection.run.id, source: 'flow-id', state: 'pending' })
      }
    }
  })
  return listed
}

/** The message the step fails with, or undefined when it succeeded. */
function stepVerdict(report: Report): string | undefined {
  if (report.stepError) return report.stepError
  const failOnRunFailure = report.inputs?.failOnRunFailure ?? true
  const failures = report.results.filter(r => isFailure(r, failOnRunFailure))
  if (report.cancelled)
    return `Cancelled: ${report.results.filter(r => r.newRunId).length} of ${report.results.length} run(s) were re-triggered before the job stopped.`
  if (failures.length === 0) return undefined
  if (report.results.length === 1) {
    const [only] = failures
    if (only.error) return only.error
    return `New run ${only.newRunId} ${only.finalStatus === 'timeout' ? 'did not finish within `wait-timeout`' : `finished "${only.finalStatus}"`}${only.newRunErrors ? `: ${only.newRunErrors.join('; ')}` : ''}`
  }
  return `${failures.length} of ${report.results.length} runs need attention (not re-triggered, failed or timed out); see the job summary and the \`results\` output.`
}
