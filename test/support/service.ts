import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { issueBuiltInToken } from '../../src/access/built-in-issuer';
import type { Role } from '../../src/access/roles';
import { type Config, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { type RunningService, startService } from '../../src/main';
import { testDatabase } from './database';

export interface TestService {
  readonly url: string;
  readonly config: Config;
  /** The routes the service serves (method and Express path). */
  readonly routes: RunningService['routes'];
  /** A built-in token for this service; `roles` defaults to investigator. */
  token(sub: string, agency: string, ...roles: Role[]): Promise<string>;
  /** JSON (or raw) request with an optional bearer token. */
  call(method: string, route: string, options?: CallOptions): Promise<TestResponse>;
  stop(): Promise<void>;
}

export interface CallOptions {
  token?: string;
  json?: unknown;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
  body: any;
}

/**
 * One DATA_DIR (and so one set of keys) for every service of the run: like
 * several processes of one deployment, they share the database and its log,
 * which only verifies under one log key.
 */
let sharedDataDir: string | undefined;

/** The run's DATA_DIR; removed by the root hook at the end of the run. */
export async function testDataDir(): Promise<string> {
  sharedDataDir ??= await mkdtemp(path.join(os.tmpdir(), 'custody-ledger-svc-'));
  return sharedDataDir;
}

export async function removeTestDataDir(): Promise<void> {
  if (sharedDataDir) await rm(sharedDataDir, { recursive: true, force: true });
  sharedDataDir = undefined;
}

export const UNREACHABLE_RATE_LIMITS = {
  RATE_LIMIT_PRINCIPAL_PER_MINUTE: '10000000',
  RATE_LIMIT_ADDRESS_PER_MINUTE: '10000000',
  RATE_LIMIT_FAILED_TOKENS_PER_MINUTE: '10000000',
  RATE_LIMIT_NOT_FOUND_PER_MINUTE: '10000000',
};

/**
 * Starts the real service (the composition root of `src/main.ts`) on port 0,
 * against the run's PostgreSQL and DATA_DIR.
 */
export async function startTestService(env: Record<string, string> = {}): Promise<TestService> {
  const dataDir = await testDataDir();
  // The run's database through the service's own role, unless the test brings its own database.
  const database = env.DATABASE_URL
    ? {}
    : { DATABASE_URL: testDatabase().url, DATABASE_OWNER_URL: testDatabase().ownerUrl };
  const config = loadConfig({
    ...database,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    // Every test comes from 127.0.0.1: limits that a whole run cannot reach (tests of the limits set their own).
    ...UNREACHABLE_RATE_LIMITS,
    ...env,
  });
  const service: RunningService = await startService(config, createLogger(config.logLevel));

  return {
    url: service.url,
    config,
    routes: service.routes,
    token: (sub, agency, ...roles) =>
      issueBuiltInToken(config, {
        sub,
        agency,
        roles: roles.length > 0 ? roles : ['investigator'],
        ttlSeconds: 600,
      }),
    call: (method, route, options = {}) => call(service.url, method, route, options),
    stop: () => service.stop(),
  };
}

export async function call(
  base: string,
  method: string,
  route: string,
  options: CallOptions = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(new URL(route, base), { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** A fresh agency code per test, so tests never see each other's cases. */
export function uniqueAgency(prefix = 'T'): string {
  return `${prefix}${randomBytes(4).toString('hex').toUpperCase()}-SSS`;
}

/** A fresh subject per test. */
export function uniqueSub(name: string): string {
  return `${name}-${randomBytes(4).toString('hex')}`;
}
