import net from 'node:net';
import { expect } from 'chai';
import { startTestService, type TestService } from '../support/service';

const GIB = 1024 ** 3;

/**
 * Sends a request announcing a 1 GiB body with a bad token, writing as fast as
 * the server reads, until the server closes the connection or all is sent.
 */
function sendUnauthenticatedGigabyte(service: TestService): Promise<{ sent: number; statusLine: string }> {
  const { port } = new URL(service.url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let sent = 0;
    let answer = '';
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (!socket.destroyed && sent < GIB) {
        sent += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.on('connect', () => {
      socket.write(
        `POST /v1/cases/00000000-0000-4000-8000-000000000000/evidence HTTP/1.1\r\nHost: test\r\n` +
          `Authorization: Bearer not-a-token\r\nContent-Type: multipart/form-data; boundary=x\r\n` +
          `Content-Length: ${GIB}\r\n\r\n`,
      );
      pump();
    });
    socket.on('data', (data) => {
      answer += data.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve({ sent, statusLine: answer.split('\r\n')[0] ?? '' }));
  });
}

describe('refused requests with bodies', function () {
  this.timeout(60_000);
  let service: TestService;
  before(async () => {
    service = await startTestService();
  });
  after(async () => {
    await service.stop();
  });

  it('when an unauthenticated upload announces a gigabyte, then it is answered 401 and the connection closes without reading the rest', async () => {
    const { sent, statusLine } = await sendUnauthenticatedGigabyte(service);
    expect(statusLine).to.equal('HTTP/1.1 401 Unauthorized');
    expect(sent).to.be.lessThan(GIB / 4);
  });
});
