import * as log from '../text/log.js'
import { shownTime } from '../text/time.js'
import type { Outcome, RunResult, Waited } from './result.js'

/**
 * The step's ledger of results: the one place that turns what handling a run came to (an
 * `Outcome`) into that run's row, counts progress and says it. Handlers return outcomes; no
 * module writes another's row.
 */
export class StepResults {
  readonly #rows = new Map<string, RunResult>()
  #done = 0

  /** Rows for runs about to be handled, `pending` until their outcome is recorded. */
  expect(rows: RunResult[]): void {
    for (const row of rows) this.#rows.set(row.runId, row)
  }

  /**
   * Records what handling `runId` came to, and says it with the step's progress. A window is one
   * row, named by its original failure: a named retry of it is recorded under that failure's id,
   * and where the window already has a row that acted, that row stands.
   */
  record(runId: string, outcome: Outcome): void {
    const row = this.#rows.get(runId)
    if (!row) throw new Error(`no run ${runId} is expected`)
    const key = outcome.windowRunId ?? runId
    if (key !== runId) {
      this.#rows.delete(runId)
      const existing = this.#rows.get(key)
      if (existing && existing.state !== 'pending') return
    }
    const next: RunResult = {
      ...row,
      ...outcome,
      runId: key,
      ...(key !== runId ? { namedRunId: runId } : {})
    }
    this.#rows.set(key, next)
    if (outcome.state === 'pending') return
    this.#done++
    this.#announce(next)
  }

  /** Records what became of the new run `newRunId` (wait.ts). */
  waited(newRunId: string, waited: Waited): void {
    for (const [runId, row] of this.#rows)
      if (row.newRunId === newRunId)
        this.#rows.set(
          runId,
          'error' in waited ? { ...row, state: 'error', ...waited } : { ...row, ...waited }
        )
  }

  get all(): RunResult[] {
    return [...this.#rows.values()]
  }

  get total(): number {
    return this.#rows.size
  }

  #announce(r: RunResult): void {
    const progress = `[${this.#done}/${this.total}]`
    const several = this.total > 1
    switch (r.state) {
      case 'retriggered': {
        const target = r.retriggeredRunId ?? r.runId
        const chain = r.retriggeredRunId
          ? ` (retry ${(r.earlierRetries?.length ?? 0) + 1} of run ${r.runId})`
          : ''
        log.info(
          `Re-triggered run ${target}${chain}: new run ${r.newRunId}, etag ${r.etag || '(none)'} ${progress}`
        )
        return
      }
      case 'would-retrigger':
        log.info(
          `Would re-trigger run ${r.retriggeredRunId ?? r.runId}${r.flowId ? ` of flow ${r.flowId}` : ''} ${progress}`
        )
        return
      case 'error':
        // One run: the step's verdict is this message; several: each is an annotation of its own.
        if (several) log.error(`Run ${r.runId}: ${r.error}`)
        return
      case 'waiting':
        log.info(
          `Run ${r.runId}: its latest retry${r.retriggeredRunId ? ` ${r.retriggeredRunId}` : ''} failed, and the next one is due at ${shownTime(r.nextRetryAt)} (\`retry-backoff\`): nothing sent now ${progress}`
        )
        return
      case 'needs-fix':
      case 'retries-exhausted':
        // Logged here; annotated by the verdict (report/verdict.ts), once escalation has said
        // whether an open issue already holds it (`fail-on: new`).
        log.info(r.error!)
        return
      default:
      // Adopted and partly ingested runs were said by their handler, with why.
    }
  }
}
