// The deployable file: relay/build.mjs makes one CommonJS file from relay/src with the tools the
// repository installs (tsc, ncc); plain Node loads it, finds `main`, and it relays an event to the
// dispatch stand-in. Built into a temporary folder, never into the action's dist/.
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { GitHubDispatchStandIn } from '../../sim/github-dispatch.js'
import { failedRun, ORG, RUN_ID } from './stand-ins.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
let out: string
let github: GitHubDispatchStandIn
beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'relay-build-'))
  execFileSync(process.execPath, ['relay/build.mjs', out], { cwd: root, stdio: 'ignore' })
  github = await new GitHubDispatchStandIn().start()
}, 120_000)
afterAll(async () => {
  await github.stop()
  rmSync(out, { recursive: true, force: true })
})

it('is one CommonJS file that needs nothing but Node', () => {
  const code = readFileSync(join(out, 'index.js'), 'utf8')
  const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map(m => m[1])
  expect(required.length).toBeGreaterThan(0)
  for (const name of required) expect(name).toMatch(/^node:/)
  expect(code).toMatch(/module\.exports = __webpack_exports__/)
})

it('plain Node loads it and its main() relays an event', async () => {
  const params = {
    GITHUB_TOKEN: github.token,
    GITHUB_REPOSITORY: github.repository,
    ALLOWED_IMS_ORGS: ORG,
    ALLOWED_SANDBOXES: 'prod',
    GITHUB_API_URL: github.url,
    ...failedRun()
  }
  const script =
    'require(process.argv[1]).main(JSON.parse(process.argv[2]))' +
    '.then(r => process.stdout.write("\\n" + JSON.stringify(r)))'
  const { stdout } = await promisify(execFile)(process.execPath, [
    '-e',
    script,
    join(out, 'index.js'),
    JSON.stringify(params)
  ])
  const answer = JSON.parse(stdout.trim().split('\n').pop() as string)
  expect(answer.statusCode).toBe(200)
  expect(stdout).not.toContain(github.token)
  expect(github.dispatches.map(d => d.clientPayload.runId)).toEqual([RUN_ID])
})
