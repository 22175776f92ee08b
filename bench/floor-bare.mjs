// The bare floor: the same single re-trigger POST with node:http alone, and the two outputs
// written to GITHUB_OUTPUT. No toolkit, no validation, no safety: the least any action can do.
import { appendFileSync } from 'node:fs'
import { request } from 'node:http'

const input = name => process.env[`INPUT_${name.toUpperCase()}`] ?? ''
const url = `${input('platform-url')}/data/foundation/flowservice/runs/${input('run-id')}/action?op=re-trigger`
const req = request(url, {
  method: 'POST',
  headers: {
    authorization: `Bearer ${input('access-token')}`,
    'x-api-key': input('api-key'),
    'x-gw-ims-org-id': input('org-id'),
    'x-sandbox-name': input('sandbox'),
    'content-type': 'application/json'
  }
})
req.on('response', res => {
  let body = ''
  res.on('data', chunk => (body += chunk))
  res.on('end', () => {
    const { id, etag } = JSON.parse(body)
    appendFileSync(process.env.GITHUB_OUTPUT, `new-run-id=${id}\netag=${etag}\n`)
  })
})
req.end()
