/** Runs `work` over `items` with at most `limit` at once; results keep the input order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index], index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** Serialises work per key: two re-triggers of one flow never overlap, so reconciliation can tell their runs apart. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>()

  async run<R>(key: string, work: () => Promise<R>): Promise<R> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const current = previous.catch(() => undefined).then(work)
    this.tails.set(key, current)
    try {
      return await current
    } finally {
      if (this.tails.get(key) === current) this.tails.delete(key)
    }
  }
}

/** A pool that takes tasks while it runs: at most `limit` at once, drained when all are done. */
export class WorkQueue {
  private running = 0
  private readonly waiting: (() => Promise<void>)[] = []
  private readonly idle: (() => void)[] = []

  constructor(private readonly limit: number) {}

  /** Adds a task; tasks handle their own errors (a rejection is dropped, never unhandled). */
  push(task: () => Promise<void>): void {
    this.waiting.push(task)
    this.pump()
  }

  /** Resolves once every task pushed so far, and every task they pushed, has finished. */
  drain(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve()
    return new Promise(resolve => this.idle.push(resolve))
  }

  private pump(): void {
    while (this.running < this.limit && this.waiting.length > 0) {
      const task = this.waiting.shift()!
      this.running++
      void task()
        .catch(() => undefined)
        .finally(() => {
          this.running--
          this.pump()
          if (this.running === 0 && this.waiting.length === 0)
            this.idle.splice(0).forEach(resolve => resolve())
        })
    }
  }
}
