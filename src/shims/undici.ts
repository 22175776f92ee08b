/**
 * Stands in for `undici` in the bundle (tsconfig.json `paths`). `@actions/http-client` imports
 * undici for one thing, `ProxyAgent` in `getProxyAgentDispatcher()`: the dispatcher for
 * fetch-based clients such as Octokit. This action never calls it: its requests go through
 * `getAgent()` (node:http agents, `tunnel` for proxies). Bundling undici anyway costs every run
 * about 430 KB of code to load and ~55 ms of start-up (see docs/performance.md), so it is left
 * out. If anything ever does reach for it, it fails loudly instead of silently misbehaving, and
 * __tests__/unit/bundle.test.ts fails when a toolkit upgrade starts using undici elsewhere.
 */
export class ProxyAgent {
  constructor() {
    throw new Error(
      'undici is not bundled with this action: @actions/http-client getProxyAgentDispatcher() is not supported'
    )
  }
}
