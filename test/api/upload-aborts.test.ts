import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { collectGarbage, inspectorOptions } from '../../scripts/lib/inspector';
import { exited, freePort, type ServiceProcess, spawnService } from '../../scripts/lib/service-process';
import { issueBuiltInToken } from '../../src/access/built-in-issuer';
import { loadConfig } from '../../src/config';
import { dropIdleConnections } from '../../src/http/idle-timeout';
import { testDatabase } from '../support/database';
import { openCase, uploadItem } from '../support/fixtures';
import {
  call,
  startTestService,
  type TestService,
  testDataDir,
  UNREACHABLE_RATE_LIMITS,
  uniqueAgency,
} from '../support/service';

const ABORTS = Number(process.env.UPLOAD_ABORTS ?? 1000);
const BOUNDARY = 'upload-aborts-boundary';

/** What the service process holds: the things an aborted upload must give back. */
interface Holdings {
  staging: number;
  /** Open descriptors other than sockets (files, pipes, event fds of worker loops). */
  fds: number;
  sockets: number;
  threads: number;
  rssBytes: number;
  /** The JavaScript heap in use after a garbage collection (only where the test collected it). */
  heapBytes?: number;
}

async function holdings(pid: number, blobDir: string): Promise<Holdings> {
  let fds = 0;
  let sockets = 0;
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (target.startsWith('socket:')) sockets++;
    else if (target !== '') fds++;
  }
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return {
    staging: (await readdir(path.join(blobDir, 'staging'))).length,
    fds,
    sockets,
    threads: (await readdir(`/proc/${pid}/task`)).length,
    rssBytes: Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) * 1024,
  };
}

function uploadHead(caseId: string, token: string, contentLength: number): string {
  return (
    `POST /v1/cases/${caseId}/evidence HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${contentLength}\r\n\r\n`
  );
}

function filePreamble(): string {
  const metadata = JSON.stringify({
    exhibitNumber: `EX-${randomUUID()}`,
    description: 'aborted',
    source: 'test',
    acquiredAt: '2026-11-20T09:30:00Z',
    acquiredBy: 'test',
  });
  return (
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n${metadata}\r\n` +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n'
  );
}

type AbortKind = 'idle' | 'reset' | 'truncated';

/**
 * One upload that never completes: it announces 1 MiB of file, sends the
 * metadata and 64 KiB of it, then stalls (`idle`), resets the connection
 * (`reset`) or ends its side (`truncated`). Resolves once the connection is
 * closed, with who closed it: the server, or the client (it resets, or gives
 * up waiting on a stalled upload the server never dropped).
 */
function abortedUpload(
  url: string,
  caseId: string,
  token: string,
  kind: AbortKind,
): Promise<'server' | 'client'> {
  const { port } = new URL(url);
  const preamble = filePreamble();
  const sent = Buffer.concat([Buffer.from(preamble), Buffer.alloc(64 * 1024, 0x61)]);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let closedBy: 'server' | 'client' = 'server';
    const guard = setTimeout(
      () => {
        closedBy = 'client';
        socket.destroy();
      },
      10 * IDLE_TIMEOUT_MS + 5_000,
    );
    socket.on('connect', () => {
      socket.write(uploadHead(caseId, token, sent.length + 1024 * 1024));
      socket.write(sent, () => {
        // A moment for the server to start on the file part (an abort before it is fine too).
        if (kind === 'reset')
          setTimeout(() => {
            closedBy = 'client';
            socket.resetAndDestroy();
          }, 20);
        if (kind === 'truncated') setTimeout(() => socket.end(), 20);
      });
    });
    socket.on('data', () => {});
    // The server may end the connection (FIN) or, with unread bytes in its buffer, reset it.
    socket.on('end', () => socket.destroy());
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(guard);
      resolve(closedBy);
    });
  });
}

async function inParallel(total: number, width: number, task: () => Promise<unknown>): Promise<void> {
  let started = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (started < total) {
        started++;
        await task();
      }
    }),
  );
}

/**
 * What the process holds once the aborts are handled: the aborts are
 * processed asynchronously, so this waits (up to 20 s) for the descriptors,
 * threads and staging files to come back down to `baseline` before reading
 * them, and collects garbage before reading RSS.
 */
async function settled(service: Spawned, baseline: Holdings): Promise<Holdings> {
  const deadline = Date.now() + 20_000;
  let now = await holdings(service.pid, service.blobDir);
  while (
    Date.now() < deadline &&
    (now.staging > baseline.staging || now.fds > baseline.fds || now.threads > baseline.threads)
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    now = await holdings(service.pid, service.blobDir);
  }
  const heapBytes = await collectGarbage(service.inspectorPort);
  return { ...(await holdings(service.pid, service.blobDir)), heapBytes };
}

interface Spawned {
  readonly process: ServiceProcess;
  readonly pid: number;
  readonly blobDir: string;
  readonly inspectorPort: number;
}

const IDLE_TIMEOUT_MS = 300;

describe('aborted uploads', function () {
  this.timeout(120_000);
  let service: Spawned;
  let token: string;
  let caseId: string;
  let baseline: Holdings;

  before(async () => {
    const blobDir = await mkdtemp(path.join(os.tmpdir(), 'custody-aborts-'));
    const inspectorPort = await freePort();
    const env = {
      DATABASE_URL: testDatabase().url,
      DATABASE_OWNER_URL: testDatabase().ownerUrl,
      DATA_DIR: await testDataDir(),
      // The run's database keeps the run's counters: refusals other tests provoked from 127.0.0.1 must not count here.
      ...UNREACHABLE_RATE_LIMITS,
      BLOB_DIR: blobDir,
      UPLOAD_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
      // Above the test's 50 at a time: every upload gets as far as its file part.
      UPLOAD_MAX_CONCURRENT: '1000',
      // The inspector only to collect garbage before reading RSS; published over HTTP, not on stderr.
      NODE_OPTIONS: inspectorOptions(inspectorPort),
    };
    const spawned = await spawnService(env);
    service = { process: spawned, pid: spawned.child.pid as number, blobDir, inspectorPort };
    token = await issueBuiltInToken(loadConfig(env), {
      sub: `aborts-${randomUUID()}`,
      agency: uniqueAgency(),
      roles: ['investigator'],
      ttlSeconds: 600,
    });
    const opened = await call(spawned.url, 'POST', '/v1/cases', {
      token,
      json: { reference: randomUUID(), title: 'Aborted uploads' },
    });
    expect(opened.status, opened.text).to.equal(201);
    caseId = opened.body.case.id;
    // A whole upload and some aborted ones first: what is made once and kept (threads of the
    // pools, database connections, the heap and allocator arenas at their working size) is
    // there before the count; only growth beyond it would be a leak.
    await uploadItem({ url: spawned.url } as TestService, token, caseId);
    // As many as each test then counts: the allocators' arenas reach the size the load keeps them at.
    for (const kind of ['reset', 'truncated'] as const) {
      await inParallel(ABORTS, 50, () => abortedUpload(spawned.url, caseId, token, kind));
    }
    baseline = await settled(service, await holdings(service.pid, blobDir));
  });

  after(async () => {
    if (service) {
      service.process.child.kill('SIGKILL');
      await exited(service.process.child);
      await rm(service.blobDir, { recursive: true, force: true });
    }
  });

  for (const kind of ['idle', 'reset', 'truncated'] as const) {
    it(`when ${ABORTS} uploads are aborted (${kind}), then no staging file, descriptor, thread or memory stays behind`, async () => {
      let closedByServer = 0;
      const started = Date.now();
      await inParallel(ABORTS, 50, async () => {
        if ((await abortedUpload(service.process.url, caseId, token, kind)) === 'server') closedByServer++;
      });
      const sentMs = Date.now() - started;
      const after = await settled(service, baseline);
      if (process.env.UPLOAD_ABORTS_VERBOSE) {
        const report = {
          kind,
          closedByServer,
          sentMs,
          settledMs: Date.now() - started - sentMs,
          baseline,
          after,
        };
        process.stderr.write(`${JSON.stringify(report)}\n`);
      }
      // A stalled upload is dropped by the server after the idle timeout, not left to the client.
      if (kind === 'idle') expect(closedByServer).to.equal(ABORTS);
      expect(after.staging, 'staging files').to.equal(baseline.staging);
      expect(after.fds, 'open descriptors other than sockets').to.equal(baseline.fds);
      expect(after.threads, 'threads (digest workers among them)').to.equal(baseline.threads);
      // Memory: the live JavaScript heap within 10 %; the process's resident memory (which
      // the allocators keep some of) within 10 % or 32 MiB, far below the ~7 MB each aborted
      // upload used to keep (a leak of 33 KB per upload would show).
      expect(after.heapBytes, 'live JavaScript heap').to.be.at.most((baseline.heapBytes as number) * 1.1);
      expect(after.rssBytes - baseline.rssBytes, 'resident memory growth').to.be.at.most(
        Math.max(baseline.rssBytes * 0.1, 32 * 1024 ** 2),
      );
      // And the service still takes evidence.
      await uploadItem({ url: service.process.url } as TestService, token, caseId);
    });
  }
});

/** The raw answer to a request written by hand: status, headers (lowercase names), body. */
interface RawAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

function parseAnswer(raw: Buffer): RawAnswer {
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
  return {
    status: Number(statusLine.split(' ')[1]),
    headers: new Map(
      lines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
    ),
    body: text.slice(split + 4),
  };
}

/** Opens a connection, writes `pieces` one after another `gapMs` apart, and collects the answer until the server ends it. */
function sendInPieces(url: string, pieces: readonly Buffer[], gapMs: number): Promise<RawAnswer> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('connect', async () => {
      for (const piece of pieces) {
        if (socket.destroyed) return;
        socket.write(piece);
        await new Promise((wait) => setTimeout(wait, gapMs));
      }
    });
    socket.on('data', (data) => received.push(data));
    socket.on('end', () => socket.end());
    socket.on('error', reject);
    socket.on('close', () => resolve(parseAnswer(Buffer.concat(received))));
  });
}

/** A whole multipart upload of `file`, as bytes on the wire (head included), asking the server to close after. */
function wholeUpload(caseId: string, token: string, file: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(filePreamble()), file, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
  const head = uploadHead(caseId, token, body.length).replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n');
  return Buffer.concat([Buffer.from(head), body]);
}

/**
 * An upload that sends its metadata and some of its file, then one byte every
 * 100 ms (never idle, never done) until `release` resets it.
 */
function trickledUpload(url: string, caseId: string, token: string): { release(): Promise<void> } {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  let trickle: NodeJS.Timeout | undefined;
  socket.on('error', () => {});
  socket.on('connect', () => {
    socket.write(uploadHead(caseId, token, 10 * 1024 * 1024));
    socket.write(Buffer.concat([Buffer.from(filePreamble()), Buffer.alloc(64 * 1024, 0x62)]));
    trickle = setInterval(() => socket.write('b'), 100);
  });
  return {
    release: () =>
      new Promise((resolve) => {
        clearInterval(trickle);
        if (socket.closed) return resolve();
        socket.once('close', () => resolve());
        socket.resetAndDestroy();
      }),
  };
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('upload timeouts and the concurrency cap', function () {
  this.timeout(60_000);
  let blobDir: string;
  let service: TestService;
  let token: string;
  let caseId: string;
  const staging = async () => (await readdir(path.join(blobDir, 'staging'))).length;

  before(async () => {
    blobDir = await mkdtemp(path.join(os.tmpdir(), 'custody-upload-limits-'));
    service = await startTestService({
      BLOB_DIR: blobDir,
      UPLOAD_IDLE_TIMEOUT_MS: '400',
      UPLOAD_MAX_CONCURRENT: '2',
    });
    token = await service.token(`limits-${randomUUID()}`, uniqueAgency(), 'investigator', 'custodian');
    caseId = await openCase(service, token);
  });
  after(async () => {
    await service?.stop();
    await rm(blobDir, { recursive: true, force: true });
  });

  it('when an upload trickles in for many idle timeouts but never pauses as long as one, then it is taken in', async () => {
    const file = randomBytes(64 * 1024);
    const wire = wholeUpload(caseId, token, file);
    // 16 pieces 150 ms apart: about 2.4 s in all, six times the 400 ms idle timeout.
    const size = Math.ceil(wire.length / 16);
    const pieces = Array.from({ length: 16 }, (_, i) => wire.subarray(i * size, (i + 1) * size));
    const answer = await sendInPieces(service.url, pieces, 150);
    expect(answer.status).to.equal(201);
    expect(JSON.parse(answer.body).evidence.digests.sha256).to.equal(
      createHash('sha256').update(file).digest('hex'),
    );
    expect(await staging()).to.equal(0);
  });

  it('when an upload stalls mid-file, then the server drops it after the idle timeout and nothing is left', async () => {
    const wire = wholeUpload(caseId, token, randomBytes(256 * 1024));
    // Half of it, then silence: only the server can end this connection.
    const answer = await sendInPieces(service.url, [wire.subarray(0, wire.length / 2)], 60_000);
    expect(answer.status, 'no answer, a dropped connection').to.be.NaN;
    await waitFor(async () => (await staging()) === 0, 'the staging file to go');
  });

  it('when the cap is reached, then one more upload is 503 PUSHBACK with Retry-After before any of its body is sent, and a slot frees when an upload ends', async () => {
    const receiving = [
      trickledUpload(service.url, caseId, token),
      trickledUpload(service.url, caseId, token),
    ];
    try {
      await waitFor(async () => (await staging()) === 2, 'both uploads to be receiving');
      // The head alone, announcing a body that is never sent: the answer cannot have waited for it.
      const refused = await sendInPieces(service.url, [Buffer.from(uploadHead(caseId, token, 1024 ** 3))], 0);
      expect(refused.status).to.equal(503);
      expect(JSON.parse(refused.body)).to.deep.include({
        code: 'PUSHBACK',
        type: 'urn:custody-ledger:problem:pushback',
      });
      expect(Number(refused.headers.get('retry-after'))).to.be.greaterThan(0);
      expect(refused.headers.get('connection')).to.equal('close');
      expect(await staging()).to.equal(2);
      await receiving[0]?.release();
      await waitFor(async () => (await staging()) === 1, 'the released upload to be gone');
      await uploadItem(service, token, caseId);
    } finally {
      await Promise.all(receiving.map((upload) => upload.release()));
    }
    await waitFor(async () => (await staging()) === 0, 'the other staging file to go');
  });

  it('when a reader stops reading a download, then the server drops the connection after the idle timeout', async () => {
    const size = 48 * 1024 * 1024;
    const id = await uploadItem(service, token, caseId, randomBytes(size));
    const { port } = new URL(service.url);
    const received = await new Promise<number>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      let bytes = 0;
      socket.on('connect', () => {
        socket.write(
          `GET /v1/evidence/${id}/content HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\n\r\n`,
        );
      });
      socket.once('data', () => {
        // The answer has begun: stop reading for several idle timeouts, then read what is left.
        socket.pause();
        setTimeout(() => socket.resume(), 2_000);
      });
      socket.on('data', (data) => {
        bytes += data.length;
      });
      socket.on('end', () => socket.destroy());
      socket.on('error', () => {});
      socket.on('close', () => resolve(bytes));
    });
    // What the kernels' buffers held arrives; the rest was never sent.
    expect(received).to.be.greaterThan(0).and.lessThan(size);
  });
});

describe('idle connections', () => {
  it('when a request is in and its answer takes several idle timeouts to work out, then the connection is kept', async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('done'), 600));
    });
    dropIdleConnections(server, 150);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'question' });
      expect(response.status).to.equal(200);
      expect(await response.text()).to.equal('done');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
