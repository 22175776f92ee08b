/**
 * Stands in for `undici` in the bundle (tsconfig.json `paths`), so the ~430 KB of undici is not
 * loaded by every run of the action (about 55 ms of cold start, see docs/performance.md).
 *
 * - `@actions/http-client` imports undici for one thing, `ProxyAgent`, in
 *   `getProxyAgentDispatcher()`: the dispatcher for fetch-based clients. The action's own requests
 *   never use it (they go through `getAgent()`: node:http agents, `tunnel` for proxies).
 * - Octokit (`@actions/github`, loaded only when `issue-on-failure` is on) fetches through
 *   undici's `fetch`, with a `ProxyAgent` as dispatcher behind `HTTPS_PROXY`.
 *
 * So `ProxyAgent` here only records its options, and `fetch` loads the real undici on first use
 * (a separate chunk of dist/, by a path the alias does not catch) and turns a recorded
 * `ProxyAgent` into a real one. Escalation works behind a proxy; nothing else pays for undici.
 * __tests__/unit/bundle.test.ts fails if a toolkit upgrade starts using undici elsewhere.
 */
type Undici = typeof import('../../node_modules/undici/index.js')

let real: Promise<Undici> | undefined
function load(): Promise<Undici> {
  real ??= import('../../node_modules/undici/index.js').then(
    mod => ((mod as { default?: Undici }).default ?? mod) as Undici
  )
  return real
}

export class ProxyAgent {
  private dispatcher?: InstanceType<Undici['ProxyAgent']>

  constructor(readonly options: ConstructorParameters<Undici['ProxyAgent']>[0]) {}

  /** The real undici ProxyAgent for these options, made once. */
  resolve(undici: Undici): InstanceType<Undici['ProxyAgent']> {
    this.dispatcher ??= new undici.ProxyAgent(this.options)
    return this.dispatcher
  }
}

export async function fetch(
  input: Parameters<Undici['fetch']>[0],
  init: Parameters<Undici['fetch']>[1] & { dispatcher?: unknown } = {}
): ReturnType<Undici['fetch']> {
  const undici = await load()
  const dispatcher =
    init.dispatcher instanceof ProxyAgent ? init.dispatcher.resolve(undici) : init.dispatcher
  return undici.fetch(input, { ...init, dispatcher })
}
