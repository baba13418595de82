import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

/** The compiled service entry point (dist/src/main.js). */
const MAIN = path.join(__dirname, '..', '..', 'src', 'main.js');

/** A port that was free a moment ago on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The environment of a child process: ours with `env` on top. A child given its
 * own DATABASE_URL does not inherit our DATABASE_OWNER_URL, which names the
 * owner of another database (it would migrate that one, not the child's).
 */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = { ...process.env };
  if (env.DATABASE_URL !== undefined) delete inherited.DATABASE_OWNER_URL;
  return { ...inherited, ...env };
}

/** A benchmark sends thousands of requests a second from one principal and address: no limit may stop it. */
const BENCH_RATE_LIMITS = {
  RATE_LIMIT_PRINCIPAL_PER_MINUTE: '10000000',
  RATE_LIMIT_ADDRESS_PER_MINUTE: '10000000',
};

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly url: string;
}

/**
 * Runs the real service as its own OS process (for benchmarks, and for tests
 * that must kill it with SIGKILL) and resolves once `/readyz` answers 200.
 */
export async function spawnService(env: Record<string, string>, timeoutMs = 60_000): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: childEnv({
      ...BENCH_RATE_LIMITS,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
    }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await answering(child, `${url}/readyz`, timeoutMs);
  return { child, url };
}

/**
 * The machine's ceiling for an Express service: a one-route application
 * (scripts/lib/hello-server.ts) as its own process, ready to answer.
 */
export async function spawnHelloServer(): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(__dirname, 'hello-server.js'), String(port)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await answering(child, `${url}/hello/ready`, 10_000);
  return { child, url };
}

/** Resolves once `probe` answers 200; kills the child if it never does. */
async function answering(child: ChildProcess, probe: string, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline && child.exitCode === null; ) {
    const ready = await fetch(probe).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${probe} did not answer`);
}

/** Resolves when the process has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Graceful stop: SIGTERM, then wait for the exit. */
export async function stopService(child: ChildProcess): Promise<void> {
  const done = exited(child);
  child.kill('SIGTERM');
  await done;
}
