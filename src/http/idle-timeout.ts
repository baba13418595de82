import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Drops a connection whose peer has moved no byte for `idleMs` while the
 * server waits on it, instead of bounding a request's total time: an upload of
 * any size at any speed goes through as long as bytes keep coming, and a
 * stalled one is dropped after `idleMs` (the upload then releases its staging
 * file and workers). The server waits on the peer when
 *  - a request body is not in yet and nothing of it sits unread (when bytes
 *    sit unread, the service is the slow one: a busy disk, say);
 *  - response bytes are queued that the peer does not take (a reader that
 *    stopped reading a download);
 *  - no request is in flight (an idle keep-alive connection; Node arms its
 *    own keep-alive timer then, which ends here too).
 * A request whose body is in and whose answer is still being worked out (a
 * fixity check re-hashing a terabyte) is not idle: its time is bounded by what
 * it does (statement timeouts), not by the connection.
 *
 * Node's socket timer fires after `idleMs` without a byte read or written;
 * a listener on the server's 'timeout' event replaces Node's default of
 * destroying the socket, so this decides. Activity re-arms the timer; a
 * timeout this keeps is not repeated until there is activity again.
 */
export function dropIdleConnections(server: Server, idleMs: number): void {
  const inFlight = new WeakMap<Socket, IncomingMessage>();
  server.on('request', (req: IncomingMessage, res) => {
    inFlight.set(req.socket, req);
    res.once('close', () => {
      if (inFlight.get(req.socket) === req) inFlight.delete(req.socket);
    });
  });
  // The total bound on receiving a request goes: idleness is what is bounded.
  server.requestTimeout = 0;
  server.setTimeout(idleMs, (socket: Socket) => {
    // Timers run before the loop polls for input: after a stall of the loop itself, bytes that
    // came meanwhile are read only after this. Decide once they are, so they count as activity.
    const read = socket.bytesRead;
    const written = socket.bytesWritten;
    setImmediate(() => {
      if (socket.destroyed || socket.bytesRead !== read || socket.bytesWritten !== written) return;
      const req = inFlight.get(socket);
      const waitingForBody = req !== undefined && !req.complete && req.readableLength === 0;
      const waitingForReader = socket.writableLength > 0;
      if (req === undefined || waitingForBody || waitingForReader) socket.destroy();
    });
  });
}
