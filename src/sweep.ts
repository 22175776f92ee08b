import type { Report } from './report.js'
import { errorMessage } from './errors.js'
import { nameFilter } from './flows.js'
import { handleRun, type Shared } from './handle-run.js'
import * as log from './log.js'
import type { WorkQueue } from './pool.js'
import type { RunResult } from './result.js'
import { selectFromFlow } from './select.js'

/**
 * A sweep (`flow-id`): each flow's failed latest run becomes a result and is handled as soon as
 * it may. With `flow-id: all` (or `flow-name`), the sandbox's flows are listed page by page and
 * each flow whose last run failed is worked on as its page arrives: listing the next page, one
 * flow's runs and another's re-trigger overlap. Re-triggers wait only for the count that
 * `max-runs` needs; reads never wait.
 */
export async function sweepFlows(shared: Shared, report: Report, queue: WorkQueue): Promise<void> {
  const { inputs } = shared
  const selected: RunResult[] = []
  // Re-triggers wait for `max-runs` to be checked; runs selected before then are held.
  let gate: 'closed' | 'open' | 'shut' = 'closed'
  const held: RunResult[] = []
  const open = (ok: boolean): void => {
    gate = ok ? 'open' : 'shut'
    if (ok) for (const result of held.splice(0)) queue.push(() => handleRun(result, shared))
  }
  const work = async (flowId: string, flowName?: string): Promise<void> => {
    const result = await select(shared, report, flowId, flowName)
    if (!result) return
    selected.push(result)
    if (gate === 'open') await handleRun(result, shared)
    else if (gate === 'closed') held.push(result)
  }

  try {
    if (inputs.sweepAll || inputs.flowNames.length > 0) {
      const candidates = await listCandidates(shared, report, (id, name) =>
        queue.push(() => work(id, name))
      )
      open(withinLimit(candidates, shared, report))
    } else {
      // Flows named one by one give at most one run each: when they cannot exceed `max-runs`, no
      // re-trigger waits; otherwise their runs must all be listed before the count is known.
      const { maxRuns } = inputs
      if (maxRuns === 0 || inputs.flowIds.length <= maxRuns) open(true)
      await Promise.all(
        inputs.flowIds.map(
          id => new Promise<void>(done => queue.push(() => work(id).finally(done)))
        )
      )
      if (gate === 'closed') open(withinLimit(selected.length, shared, report))
    }
  } catch (err) {
    open(false)
    throw err
  } finally {
    await queue.drain()
  }
  if (report.maxRunsExceeded)
    report.stepError = maxRunsMessage(report.maxRunsExceeded, selected, shared)
}

/** Lists the sandbox's flows and hands on each one a sweep should look at; returns how many. */
async function listCandidates(
  shared: Shared,
  report: Report,
  take: (flowId: string, flowName?: string) => void
): Promise<number> {
  const { inputs, flowService } = shared
  const matches = nameFilter(inputs.flowNames)
  const named = new Set(inputs.flowIds)
  let candidates = 0
  let seen = 0
  await flowService.listFlows(shared.sweepSince, page => {
    for (const flow of page) {
      seen++
      if (!inputs.sweepAll && !named.delete(flow.id)) continue
      if (!matches(flow.name)) continue
      // Healthy, running or never run: costs nothing beyond the page it was on.
      if (flow.lastRun?.status === 'success')
        report.healthyFlows.push({ flowId: flow.id, flowName: flow.name, runId: flow.lastRun.id })
      if (flow.lastRun?.status !== 'failed') continue
      if (!flow.enabled) {
        report.skippedFlows.push({
          flowId: flow.id,
          flowName: flow.name,
          reason: `disabled; its last run ${flow.lastRun.id ?? ''} failed. Adobe re-triggers runs of enabled flows only`
        })
        continue
      }
      candidates++
      take(flow.id, flow.name)
    }
  })
  for (const flowId of named)
    report.skippedFlows.push({ flowId, reason: 'no run started within the lookback' })
  log.info(
    `Listed ${seen} dataflow(s) with a run within the lookback; ${candidates} failed last time${inputs.flowNames.length ? ' and match `flow-name`' : ''}`
  )
  return candidates
}

/** One flow's run to retry, added to the report, or undefined (the flow is noted as left alone). */
async function select(
  shared: Shared,
  report: Report,
  flowId: string,
  flowName?: string
): Promise<RunResult | undefined> {
  const { inputs, histories } = shared
  try {
    const selection = await selectFromFlow(histories, flowId, shared.sweepSince, inputs.apiKey)
    const label = `Flow ${flowId}${flowName ? ` (${flowName})` : ''}`
    if (!selection.run) {
      log.info(`${label}: nothing to retry (${selection.reason})`)
      if (selection.healthy)
        report.healthyFlows.push({ flowId, flowName, runId: selection.healthy.id })
      report.skippedFlows.push({ flowId, flowName, reason: selection.reason })
      return undefined
    }
    if (report.results.some(r => r.runId === selection.run.id)) return undefined
    log.info(`${label}: latest run ${selection.run.id} failed`)
    shared.listed.set(selection.run.id, selection.run)
    const result: RunResult = {
      runId: selection.run.id,
      source: 'flow-id',
      flowId,
      flowName,
      state: 'pending',
      previousStatus: selection.run.rawStatus,
      previousErrors: selection.run.errors.length ? selection.run.errors : undefined,
      previousCauses: selection.run.causes
    }
    report.results.push(result)
    shared.progress.total++
    return result
  } catch (err) {
    const reason = `its runs could not be listed: ${errorMessage(err)}`
    log.error(`Flow ${flowId}: ${reason}`)
    report.skippedFlows.push({ flowId, flowName, reason, failed: true })
    return undefined
  }
}

/** Whether a sweep that selected `count` runs may re-trigger them (`max-runs`). */
function withinLimit(count: number, shared: Shared, report: Report): boolean {
  const { maxRuns, dryRun } = shared.inputs
  if (maxRuns === 0 || count <= maxRuns) return true
  if (dryRun) {
    log.warning(
      `The sweep selected ${count} failed runs, more than \`max-runs\` (${maxRuns}): a real run would re-trigger none of them.`
    )
    return true
  }
  report.maxRunsExceeded = count
  return false
}

/** Why a sweep over `max-runs` re-triggered nothing: how many, and what they have in common. */
function maxRunsMessage(count: number, selected: RunResult[], shared: Shared): string {
  const counts = new Map<string, number>()
  for (const r of selected)
    for (const code of new Set((r.previousCauses ?? []).map(c => c.code)))
      counts.set(code, (counts.get(code) ?? 0) + 1)
  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([code, n]) => `${code} (${n} run${n === 1 ? '' : 's'})`)
  return `The sweep found ${count} failed runs, more than \`max-runs\` (${shared.inputs.maxRuns}), so it re-triggered none of them: failures on this scale usually have one cause that a retry will not fix (an expired source credential, a schema change).${top.length ? ` Most common error codes: ${top.join(', ')}.` : ''} Fix the cause, then raise \`max-runs\` or narrow the sweep (\`flow-name\`, \`lookback\`); \`dry-run: true\` lists them all.`
}
