import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { createFileExclusively } from '../files';

/**
 * The service's signing keys, all Ed25519, each with one purpose (formats.md §2, §4):
 * - `log`: signs checkpoints, nothing else;
 * - `receipt`: signs JWS receipts (rotates; retired ones stay for verification);
 * - `token-issuer`: signs the built-in access tokens.
 */
export type KeyPurpose = 'log' | 'receipt' | 'token-issuer';

/** A private key as stored on disk: the JWK plus the service's own metadata. */
export interface StoredKey {
  readonly purpose: KeyPurpose;
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  readonly createdAt: string;
  /** Set when a newer key of the same purpose took over; the key then only verifies. */
  readonly retiredAt: string | null;
  readonly privateJwk: JWK;
}

export interface ServiceKeys {
  readonly log: StoredKey;
  readonly receipt: StoredKey;
  readonly tokenIssuer: StoredKey;
}

/**
 * Layout under `DATA_DIR/keys` (directory 0700, files 0600):
 *   log.json, token-issuer.json, receipts/<kid>.json
 * Files are created atomically (write a temporary file, then link it into place,
 * which fails if another process won the race), so concurrent first starts agree
 * on one key.
 */
export function keysDir(dataDir: string): string {
  return path.join(dataDir, 'keys');
}

/** Loads the service keys, creating any that do not exist yet. Safe to call from several processes. */
export async function ensureServiceKeys(dataDir: string): Promise<ServiceKeys> {
  const dir = keysDir(dataDir);
  await fs.mkdir(path.join(dir, 'receipts'), { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  await fs.chmod(path.join(dir, 'receipts'), 0o700);
  const [log, tokenIssuer, receipt] = await Promise.all([
    ensureSingleKey(path.join(dir, 'log.json'), 'log'),
    ensureSingleKey(path.join(dir, 'token-issuer.json'), 'token-issuer'),
    ensureReceiptKey(path.join(dir, 'receipts')),
  ]);
  return { log, receipt, tokenIssuer };
}

/** Every receipt key, current and retired, oldest first. */
export async function listReceiptKeys(dataDir: string): Promise<StoredKey[]> {
  return readKeysIn(path.join(keysDir(dataDir), 'receipts'));
}

async function readKeysIn(dir: string): Promise<StoredKey[]> {
  const names = (await fs.readdir(dir)).filter((name) => name.endsWith('.json'));
  const keys = await Promise.all(names.map((name) => readKey(path.join(dir, name))));
  return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.kid.localeCompare(b.kid));
}

/**
 * How long a retired receipt key may still sign: running services switch keys
 * at their next keyring refresh (every 5 s), and verifiers refuse what a key
 * made after its retirement time, so that time leaves room for the switch.
 */
export const RETIREMENT_GRACE_MS = 30_000;

/**
 * Makes a new receipt key current and retires the current one(s). The retired
 * files stay: receipts signed with them must keep verifying. Returns both sides,
 * and an `undo` for a caller whose next step (publishing, logging) failed.
 */
export async function rotateReceiptKey(
  dataDir: string,
): Promise<{ current: StoredKey; retired: StoredKey[]; undo: () => Promise<void> }> {
  const dir = path.join(keysDir(dataDir), 'receipts');
  const before = await readKeysIn(dir);
  const active = before.filter((key) => key.retiredAt === null);
  const current = await generateKey('receipt');
  const retiredAt = new Date(Date.now() + RETIREMENT_GRACE_MS).toISOString();
  const retired = active.map((key) => ({ ...key, retiredAt }));
  if (!(await createExclusive(path.join(dir, `${current.kid}.json`), current)))
    throw new Error('key id collision');
  const files = new Map(
    await Promise.all(before.map(async (key) => [key.kid, await fileOf(dir, key.kid)] as const)),
  );
  for (const key of retired) await replaceFile(files.get(key.kid) as string, key);
  return {
    current,
    retired,
    undo: async () => {
      for (const key of active) await replaceFile(files.get(key.kid) as string, key);
      await fs.rm(path.join(dir, `${current.kid}.json`), { force: true });
    },
  };
}

/** The file that holds the key with `kid` (the first key is `initial.json`, later ones `<kid>.json`). */
async function fileOf(dir: string, kid: string): Promise<string> {
  for (const name of await fs.readdir(dir)) {
    if (name.endsWith('.json') && (await readKey(path.join(dir, name))).kid === kid)
      return path.join(dir, name);
  }
  throw new Error(`no file for key ${kid}`);
}

/** Atomically replaces a key file (write a temporary file, then rename over). */
async function replaceFile(file: string, key: StoredKey): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(temporary, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await fs.rename(temporary, file);
}

async function ensureSingleKey(file: string, purpose: KeyPurpose): Promise<StoredKey> {
  const existing = await readKeyIfPresent(file);
  if (existing) return existing;
  const key = await generateKey(purpose);
  return (await createExclusive(file, key)) ? key : readKey(file);
}

async function ensureReceiptKey(dir: string): Promise<StoredKey> {
  const current = (await readKeysIn(dir)).filter((key) => key.retiredAt === null);
  if (current.length > 0) return current[current.length - 1] as StoredKey;
  // The first receipt key lives at a fixed name so that two processes starting
  // together cannot both create one.
  const first = path.join(dir, 'initial.json');
  const key = await generateKey('receipt');
  return (await createExclusive(first, key)) ? key : readKey(first);
}

async function generateKey(purpose: KeyPurpose): Promise<StoredKey> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const privateJwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint({ kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x });
  return { purpose, kid, createdAt: new Date().toISOString(), retiredAt: null, privateJwk };
}

/** Writes `key` to `file` only if `file` does not exist; false when another writer was first. */
function createExclusive(file: string, key: StoredKey): Promise<boolean> {
  return createFileExclusively(file, `${JSON.stringify(key, null, 2)}\n`);
}

async function readKeyIfPresent(file: string): Promise<StoredKey | undefined> {
  try {
    return await readKey(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function readKey(file: string): Promise<StoredKey> {
  const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as StoredKey;
  if (parsed.privateJwk?.kty !== 'OKP' || parsed.privateJwk.crv !== 'Ed25519' || !parsed.privateJwk.d) {
    throw new Error(`key file ${path.basename(file)} does not hold an Ed25519 private key`);
  }
  return parsed;
}
