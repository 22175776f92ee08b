// The toolkit floor: the cheapest action on this project's packages. @actions/core reads the
// inputs and sets the outputs, @actions/http-client makes the same POST. Bundled (minified) by
// bench.ts with ncc into bench/.build/toolkit/, from this folder so that
// bench/floor/tsconfig.json applies (the toolkit as published, undici included).
import * as core from '@actions/core'
import { HttpClient } from '@actions/http-client'

const client = new HttpClient('bench-floor')
const url = `${core.getInput('platform-url')}/data/foundation/flowservice/runs/${core.getInput('run-id')}/action?op=re-trigger`
const res = await client.post(url, '', {
  authorization: `Bearer ${core.getInput('access-token')}`,
  'x-api-key': core.getInput('api-key'),
  'x-gw-ims-org-id': core.getInput('org-id'),
  'x-sandbox-name': core.getInput('sandbox'),
  'content-type': 'application/json'
})
const { id, etag } = JSON.parse(await res.readBody()) as { id: string; etag: string }
core.setOutput('new-run-id', id)
core.setOutput('etag', etag)
