// The README's three workflows are what a user copies: each must be a valid workflow file whose
// every `with:` key is a real input of action.yml, with the permissions and the concurrency group
// the README says it needs. The recipes' step snippets in docs/ are held to the inputs too.
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

const read = (path: string): string =>
  readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
const action = parse(read('action.yml')) as {
  inputs: Record<string, { required?: boolean }>
}
const inputNames = Object.keys(action.inputs)
const required = inputNames.filter(n => action.inputs[n].required)

const yamlBlocks = (markdown: string): unknown[] =>
  [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map(m => parse(m[1]) as unknown)

interface Step {
  uses?: string
  with?: Record<string, unknown>
  run?: string
}
interface Workflow {
  name?: string
  on: Record<string, unknown>
  concurrency?: string
  permissions?: Record<string, string>
  jobs: Record<string, { 'runs-on': string; steps: Step[] }>
}

const isWorkflow = (doc: unknown): doc is Workflow =>
  typeof doc === 'object' && doc !== null && 'jobs' in doc && 'on' in doc
const ours = (step: Step): boolean => step.uses === '<owner>/<repo>@v1'

/** The problems of one use of the action: unknown or missing inputs. */
function withProblems(step: Step): string[] {
  const given = Object.keys(step.with ?? {})
  return [
    ...given.filter(k => !inputNames.includes(k)).map(k => `unknown input ${k}`),
    ...required.filter(k => !given.includes(k)).map(k => `missing required input ${k}`)
  ]
}

describe("the README's workflows", () => {
  const workflows = yamlBlocks(read('README.md')).filter(isWorkflow)

  it('are three complete workflow files: a dispatched retry, the hourly sweep, the event-driven retry', () => {
    expect(workflows.map(w => Object.keys(w.on).sort().join('+'))).toEqual([
      'workflow_dispatch',
      'schedule+workflow_dispatch',
      'repository_dispatch'
    ])
  })

  it.each([0, 1, 2])(
    'workflow %i: every job runs somewhere and uses the action with real inputs',
    i => {
      const workflow = workflows[i]
      for (const job of Object.values(workflow.jobs)) {
        expect(typeof job['runs-on']).toBe('string')
        expect(job.steps.length).toBeGreaterThan(0)
        const uses = job.steps.filter(ours)
        expect(uses).toHaveLength(1)
        expect(uses.flatMap(withProblems)).toEqual([])
        for (const step of job.steps) expect(step.run ?? '').not.toMatch(/\$\{\{/)
      }
    }
  )

  it.each([0, 1, 2])('workflow %i: the per-sandbox group and least permissions', i => {
    const workflow = workflows[i]
    expect(workflow.concurrency).toMatch(/^aep-sandbox-/)
    const step = Object.values(workflow.jobs)
      .flatMap(j => j.steps)
      .find(ours)!
    const files = step.with?.['issue-on-failure'] === true
    expect(workflow.permissions).toEqual({
      contents: 'read',
      ...(files ? { issues: 'write' } : {})
    })
  })
})

describe("the recipes' snippets", () => {
  it('give the action only real inputs', () => {
    const docs = ['docs/recipes.md', 'docs/how-it-works.md'].map(read).join('\n')
    const steps = yamlBlocks(docs).flatMap((doc): Step[] => {
      if (typeof doc === 'object' && doc !== null && 'jobs' in doc)
        return Object.values((doc as Workflow).jobs).flatMap(j => j.steps)
      return Array.isArray(doc) ? (doc as Step[]) : []
    })
    const uses = steps.filter(ours)
    expect(uses.length).toBeGreaterThan(3)
    expect(
      uses.flatMap(s => Object.keys(s.with ?? {}).filter(k => !inputNames.includes(k)))
    ).toEqual([])
  })
})
