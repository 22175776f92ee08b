/**
 * Stand-ins for the relay's tests (relay/): Adobe's public-key domain on loopback serving PEM keys
 * made here with node:crypto, signing as I/O Events does (base64 RSA-SHA256 of the raw body),
 * Adobe's three envelopes and the two alerts, and a console capture for leak checks.
 */
import { jest } from '@jest/globals'
import * as crypto from 'node:crypto'
import { promisify } from 'node:util'
import { LoopbackServer } from '../../sim/loopback.js'

const generateKeyPair = promisify(crypto.generateKeyPair)

export interface KeyPair {
  publicPem: string
  privateKey: crypto.KeyObject
}

/** An RSA-2048 pair, made off the main thread so that several are made side by side. */
export async function keyPair(): Promise<KeyPair> {
  const { publicKey, privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 })
  return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey }
}

/** What I/O Events puts in `x-adobe-digital-signature-N`. */
export function sign(body: string | Buffer, key: KeyPair): string {
  return crypto.sign('sha256', Buffer.from(body), key.privateKey).toString('base64')
}

export const KEY1_PATH = '/prod/keys/pub-key-StandIn0001.pem'
export const KEY2_PATH = '/prod/keys/pub-key-StandIn0002.pem'

/** The headers of a delivery: each signature made with the given key (or a string as is). */
export function signedHeaders(
  body: string,
  one: KeyPair | string,
  two: KeyPair | string,
  paths: { path1?: string; path2?: string } = {}
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-adobe-digital-signature-1': typeof one === 'string' ? one : sign(body, one),
    'x-adobe-digital-signature-2': typeof two === 'string' ? two : sign(body, two),
    'x-adobe-public-key1-path': paths.path1 ?? KEY1_PATH,
    'x-adobe-public-key2-path': paths.path2 ?? KEY2_PATH
  }
}

/** static.adobeioevents.com on loopback: serves the PEM keys it is given, records every GET. */
export class AdobeKeyStandIn {
  url = ''
  readonly requests: string[] = []
  readonly keys = new Map<string, string>()
  /** Answer every request with this status instead (a key domain outage). */
  failWith?: number
  private readonly server = new LoopbackServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    this.requests.push(path)
    const pem = this.keys.get(path)
    if (this.failWith) {
      res.writeHead(this.failWith)
      res.end()
    } else if (req.method !== 'GET' || pem === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('Not Found')
    } else {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' })
      res.end(pem)
    }
  })

  constructor(entries: [string, KeyPair][]) {
    for (const [path, key] of entries) this.keys.set(path, key.publicPem)
  }

  async start(): Promise<this> {
    this.url = await this.server.start()
    return this
  }

  stop(): Promise<void> {
    return this.server.stop()
  }
}

/** A server that records whether anything ever reached it (a redirect target, a rogue key host). */
export class Tripwire {
  url = ''
  readonly hits: { path: string; authorization?: string }[] = []
  private readonly server = new LoopbackServer((req, res) => {
    this.hits.push({ path: req.url ?? '', authorization: req.headers.authorization })
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('caught')
  })

  async start(): Promise<this> {
    this.url = await this.server.start()
    return this
  }

  stop(): Promise<void> {
    return this.server.stop()
  }
}

export const RUN_ID = 'd9024c32-2174-4271-824c-322174627101'
export const FLOW_ID = 'cf4fce79-8822-456d-8fce-798822556dc6'
export const EVENT_ID = 'aec55616-1715-487f-8044-ba648cc8ffee'
export const ORG = '7DC732555AECDB4C0A494036@AdobeOrg'
export const CLIENT_ID = 'relay-client-id-0123456789abcdef'
export const UPDATED_AT = 1597434157567

/** The run object of a failed run, as "Sources Flow Run Failure" carries it. */
export function failedRun(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    createdAt: 1597434147259,
    updatedAt: UPDATED_AT,
    createdClient: 'acp_foundation_connectors',
    sandboxId: 'e49ebb00-d0fa-11e9-b164-ed6a398c8b35',
    sandboxName: 'prod',
    imsOrgId: ORG,
    id: RUN_ID,
    flowId: FLOW_ID,
    flowName: 'Nightly S3 customers',
    providerRefId: 'test1234',
    etag: '"0c003dbf-0000-0200-0000-5f36e92d0000"',
    metrics: {
      durationSummary: { startedAtUTC: 1597434147190 },
      statusSummary: {
        status: 'failed',
        errors: [{ code: 'CONNECTOR-2001-500', message: 'Error in processing the copied data.' }]
      }
    },
    ...extra
  }
}

/** 2. The older I/O Events envelope. */
export function eventEnvelope(run = failedRun()): Record<string, unknown> {
  return { event_id: EVENT_ID, event: run }
}

/** 3. The older Platform notification envelope. */
export function messagesEnvelope(run = failedRun(), type = 'sources_flow_run_failed'): unknown[] {
  return [
    {
      messages: [
        {
          msgType: 'eventNotification',
          version: '1.0',
          timestamp: 1597434157622,
          imsOrgId: ORG,
          schema: { name: 'run-notification', version: '1.0' },
          provider: 'FlowService',
          _eventNotificationMeta: { category: 'Platform Notifications', type },
          value: run
        }
      ]
    }
  ]
}

/** The Delay and Error-Rate alerts: same event code, `flowRunId` and `status: FIRING`. */
export function alert(name: 'delay' | 'error-rate'): Record<string, unknown> {
  return {
    id: '5f1b7c8e-3d2a-4e6b-9c1d-0a2b3c4d5e6f',
    alertName: name === 'delay' ? 'Sources Flow Run Delay' : 'Sources Flow Run Error Rate',
    status: 'FIRING',
    flowRunId: RUN_ID,
    flowId: FLOW_ID,
    sandboxName: 'prod',
    imsOrgId: ORG
  }
}

/** Everything written to the console while a test runs, one string per call. */
export function captureConsole(): { lines: string[]; restore: () => void } {
  const lines: string[] = []
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map(level =>
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(a => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '))
    })
  )
  return { lines, restore: () => spies.forEach(s => s.mockRestore()) }
}

/** The relay's answer body, as the tests read it. */
export interface RelayBody {
  result: string
  reason: string
  challenge: string
  ignored: string[]
  skipped: { event: string; eventId: string | null; runId: string | null; reason: string }[]
  dispatched: { runId: string; flowId: string; sandbox: string }[]
  alreadyDispatched: string[]
  notDispatched: string[]
}

export interface AnswerView {
  statusCode: number
  headers: Record<string, string>
  body: RelayBody
}

/** The answer inside what main() returns: 5xx come as `{error}`, as I/O Runtime wants. */
export function answerOf(result: unknown): AnswerView {
  const r = result as AnswerView | { error: AnswerView }
  return 'error' in r ? r.error : r
}

/** I/O Events' CloudEvent around one event, as a webhook delivery carries it. */
export function cloudEvent(
  data: unknown,
  id: string = crypto.randomUUID()
): Record<string, unknown> {
  return {
    specversion: '1.0',
    id,
    source: 'urn:uuid:6c4fcb84-2b3a-4d27-9c1a-1f0e2d3c4b5a',
    type: 'source_flow_run_error',
    datacontenttype: 'application/json',
    time: new Date(UPDATED_AT + 55).toISOString(),
    data
  }
}

const STACK_LINE =
  'com.adobe.platform.connectors.exception.ConnectorException: Error in processing the copied data. ' +
  'at com.adobe.platform.connectors.s3.S3Reader.read(S3Reader.java:214) '

/**
 * A "Batch" delivery of `count` run failures, each a CloudEvent of about `bytesPerEvent` bytes
 * (the connector's exception text in `errorDetail` makes up the size, as a real failure's does).
 */
export function failureBatch(
  count: number,
  bytesPerEvent = 1000
): { events: Record<string, unknown>[]; runIds: string[] } {
  const runIds = Array.from({ length: count }, () => crypto.randomUUID())
  const events = runIds.map((id, i) => {
    const run = (errorDetail: string) =>
      failedRun({
        id,
        flowName: `Nightly S3 customers ${i + 1}`,
        activities: [
          {
            id: 'b3fcb9d2-8a0e-4b8c-9c5e-2f1d3e4a5b6c',
            activityType: 'copy',
            statusSummary: {
              status: 'failed',
              extensions: {
                errors: [
                  { code: 'CONNECTOR-2001-500', message: 'Error in processing the copied data.' }
                ],
                errorDetail
              }
            }
          }
        ]
      })
    const bare = JSON.stringify(cloudEvent(run(''))).length
    const pad = Math.max(0, bytesPerEvent - bare)
    return cloudEvent(run(STACK_LINE.repeat(Math.ceil(pad / STACK_LINE.length)).slice(0, pad)))
  })
  return { events, runIds }
}
