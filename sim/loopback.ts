import * as http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * An HTTP server on 127.0.0.1 that stops at once, open connections included: the simulator, the
 * GitHub stand-in and the tests' hostile server all run on it, never on another address.
 */
export class LoopbackServer {
  url = ''
  private readonly server: http.Server
  private readonly sockets = new Set<Socket>()

  constructor(handler: http.RequestListener) {
    this.server = http.createServer(handler)
    this.server.on('connection', socket => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
  }

  async start(port = 0): Promise<string> {
    await new Promise<void>(resolve => this.server.listen(port, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this.url
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>(resolve => this.server.close(() => resolve()))
  }
}
