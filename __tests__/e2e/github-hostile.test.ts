// Hostile answers, round two: GitHub is a server too. The bundled action against the Flow
// Service simulator and the GitHub stand-in, with GitHub refusing, answering nonsense, and server
// text trying to ping people, link issues, reorder what a reader sees or leak a secret.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { GitHubStandIn } from '../../sim/github.js'
import { failure, HOUR, SOURCE_UNREADABLE } from '../../sim/scenarios.js'
import type { Simulator } from '../../sim/simulator.js'
import {
  STATIC_TOKEN,
  act,
  expectNoSecrets,
  secretsOf,
  shownText,
  startSimulatorAndGitHub,
  staticInputs,
  stopAll
} from '../helpers/e2e.js'

let sim: Simulator
let github: GitHubStandIn
beforeEach(async () => ({ sim, github } = await startSimulatorAndGitHub()))
afterEach(() => stopAll(sim, github))

const CODE = SOURCE_UNREADABLE.code
/** A sweep that hands every failed window to a person at once (`skip-errors`), with issues on. */
const sweep = (extra: Record<string, string> = {}) =>
  act(
    sim,
    staticInputs(sim, {
      'flow-id': 'all',
      'skip-errors': 'CONNECTOR-*',
      'issue-on-failure': 'true',
      'github-token': github.token,
      ...extra
    }),
    { env: { GITHUB_API_URL: github.url } }
  )
const failingFlow = (name: string, message = SOURCE_UNREADABLE.message): string =>
  failure(sim, { flowName: name, createdAt: Date.now() - HOUR, errors: [{ code: CODE, message }] })
    .flowId
const marker = (flowId: string) => `<!-- aep-flow: ${flowId} -->`
const openIssueFor = (flowId: string, locked = false) => {
  github.issues.push({
    number: github.issues.length + 1,
    title: 'old',
    body: `${marker(flowId)}\n<!-- aep-state: 0 -->\n<!-- aep-missing: -->`,
    labels: ['aep-dataflow'],
    state: 'open',
    comments: [],
    locked
  })
  return github.issues.at(-1)!
}

describe('GitHub refusing: each flow stands alone, and the warning says what GitHub said', () => {
  it('a locked issue for one flow leaves the others filed, and is called locked, not a permission problem', async () => {
    const locked = failingFlow('crm-locked')
    const fresh = failingFlow('crm-fresh')
    const healthy = sim.addFlow({ name: 'crm-healthy' })
    sim.addRun({ flowId: healthy, status: 'success', records: 3, createdAt: Date.now() - HOUR })
    const lockedIssue = openIssueFor(locked, true)
    const recovered = openIssueFor(healthy)

    const run = await sweep()
    const warnings = run.warnings.join('\n')
    expect(warnings).toMatch(/Could not file an issue for flow .*locked/)
    expect(warnings).not.toMatch(/permissions: issues: write/)
    expect(lockedIssue.comments).toHaveLength(0)
    // The other flows went on: a new issue for the fresh failure, the recovered one closed.
    expect(github.issues.filter(i => i.body.includes(marker(fresh)))).toHaveLength(1)
    expect(recovered.state).toBe('closed')
  })

  it.each([
    [
      'a secondary rate limit',
      { kind: 'secondary-rate-limit' as const, retryAfter: 120 },
      /secondary rate limit/
    ],
    [
      'the primary rate limit',
      { kind: 'primary-rate-limit' as const },
      /rate limit for this token is used up .*it resets at 20/
    ],
    [
      'a plain permission refusal',
      { kind: 'status' as const, status: 403, message: 'Resource not accessible by integration' },
      /add `permissions: issues: write`/
    ]
  ])('%s on creating an issue is told apart', async (_, fault, said) => {
    failingFlow('crm-a')
    github.fault(fault, { method: 'POST', path: /\/issues$/, times: 5 })
    const run = await sweep()
    expect(run.warnings.join('\n')).toMatch(said)
    expect(run.code).toBe(1) // the window needs a fix: the verdict is the runs', GitHub's refusal changes nothing
  })
})

describe("GitHub's answers are checked before they are trusted", () => {
  it.each([
    ['a 200 HTML page (a proxy login)', { kind: 'html' as const }],
    ['a listing cut off mid-body', { kind: 'cut-short' as const }]
  ])('%s is "do not know": no duplicate issue is opened, and it is said', async (_, fault) => {
    const flowId = failingFlow('crm-a')
    const existing = openIssueFor(flowId)
    github.fault(fault, { method: 'GET', times: 5 })
    const run = await sweep()
    expect(github.issues).toHaveLength(1)
    expect(existing.comments).toHaveLength(0)
    expect(run.warnings.join('\n')).toMatch(
      /Could not file GitHub issues: this action's open issues could not be read/
    )
  })

  it('past 1,000 open issues of the label, the cut listing is said and nothing new is opened', async () => {
    for (let i = 0; i < 1000; i++)
      openIssueFor(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
    failingFlow('crm-a')
    const run = await sweep()
    expect(github.issues).toHaveLength(1000)
    expect(run.warnings.join('\n')).toMatch(/More than 1000 open issues carry the label/)
  })
})

describe('server text in an issue neither notifies, links nor reorders; it never leaks', () => {
  it('mentions, references, issue URLs and bidi controls from a flow name and Adobe text are inert', async () => {
    const hostile =
      '@team #12 GH-12 acme/ingestion#12 https://github.com/acme/ingestion/issues/12 \u202eevil'
    failingFlow(`crm ${hostile}`, `copy failed ${hostile}`)
    const run = await sweep()
    expect(github.issues).toHaveLength(1)
    const [issue] = github.issues
    for (const text of [issue.title, issue.body]) {
      expect(text).not.toMatch(/@team|#12|GH-12|https:\/\/github\.com\/other/)
      expect(text).not.toContain('\u202e')
    }
    expect(run.stdout).not.toContain('\u202e')
    expect(run.summary).not.toContain('\u202e')
  })

  it('a flow name echoing the token is redacted before it is clipped: no prefix anywhere, outputs and issues included', async () => {
    failingFlow(`${'x'.repeat(180)}${STATIC_TOKEN}`)
    const run = await sweep()
    const prefix = STATIC_TOKEN.slice(0, 16)
    for (const text of [...Object.values(shownText(run)), github.sentText()])
      expect(text).not.toContain(prefix)
  })

  it('entities, bare URLs, a 200 KB code and the token in base64 or folded: inert, bounded, nowhere', async () => {
    const said =
      '&commat;team &num;12 &#64;team &#x23;12 see https://evil.example/x, www.evil.example or a@evil.example'
    const b64 = Buffer.from(`Authorization: Bearer ${STATIC_TOKEN}`).toString('base64')
    const folded = `${STATIC_TOKEN.slice(0, 20)}\r\n ${STATIC_TOKEN.slice(20)}`
    failure(sim, {
      flowName: `crm ${said}`,
      createdAt: Date.now() - HOUR,
      errors: [
        { code: CODE, message: `${said} auth ${b64} token ${folded}` },
        // The simulator repeats a run's errors in its activities: 4 copies within a 1 MiB page.
        { code: `${CODE}-${'9'.repeat(200_000)}`, message: said }
      ]
    })
    const run = await sweep()
    expect(github.issues).toHaveLength(1)
    const [issue] = github.issues
    expect(issue.body.length).toBeLessThanOrEqual(65_536)
    expect(Buffer.byteLength(run.summary)).toBeLessThan(1024 * 1024)
    for (const text of [issue.title, issue.body, run.summary]) {
      const shown = text.replace(/`[^`\n]*`/g, '')
      expect(shown).not.toMatch(/(?<!\\)&(?:commat|num|#\d+|#x[\da-f]+);/i)
      expect(shown).not.toMatch(/https:\/\/evil|www\.evil|a@evil/)
    }
    expect(issue.body).not.toMatch(/@team|#12/)
    expectNoSecrets(run, secretsOf(sim), { issues: github.sentText() })
  })

  it("a long retry history keeps the body within GitHub's limit", async () => {
    const flowId = sim.addFlow({ name: 'crm-many' })
    for (let i = 0; i < 60; i++)
      failure(sim, {
        flowId,
        createdAt: Date.now() - HOUR - i * 1000,
        errors: Array.from({ length: 3 }, (_, k) => ({
          code: `${CODE}`,
          message: `${k} ${'long text '.repeat(60)}`
        }))
      })
    const run = await sweep({ 'max-runs': '0' })
    expect(github.issues).toHaveLength(1)
    expect(github.issues[0].body.length).toBeLessThanOrEqual(65_536)
    expect(run.warnings.join('\n')).not.toMatch(/422/)
  })
})
