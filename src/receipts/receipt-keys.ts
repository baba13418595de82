import { createPrivateKey, type JsonWebKeyInput } from 'node:crypto';
import type { JSONWebKeySet, JWK } from 'jose';
import type { DataSource } from 'typeorm';
import type { Queryable } from '../db/log.repository';
import { violatedUniqueConstraint } from '../db/pg-errors';
import type { StoredKey } from '../keys/key-store';
import type { ReceiptSigningKey } from './receipt';

/** The public half of a receipt key as published in the JWKS. */
export function publicReceiptJwk(key: StoredKey): JWK {
  const { kty, crv, x } = key.privateJwk;
  return { kty, crv, x, kid: key.kid, alg: 'EdDSA', use: 'sig' };
}

export function signingKeyOf(key: StoredKey): ReceiptSigningKey {
  return { kid: key.kid, key: createPrivateKey({ key: key.privateJwk, format: 'jwk' } as JsonWebKeyInput) };
}

/**
 * Publishes receipt keys in the database, so that every service process serves
 * the same JWKS. Retirement only ever gets recorded, never undone; keys are never removed.
 */
export async function publishReceiptKeys(db: DataSource, keys: readonly StoredKey[]): Promise<void> {
  try {
    await db.transaction((tx) => publishReceiptKeysIn(tx, keys));
  } catch (error) {
    if (violatedUniqueConstraint(error) === 'receipt_keys_one_current') {
      throw new Error(
        'another receipt key is current in this database: every process must share DATA_DIR/keys',
      );
    }
    throw error;
  }
}

/** As `publishReceiptKeys`, inside the caller's transaction (the key rotation's log batch). */
export async function publishReceiptKeysIn(tx: Queryable, keys: readonly StoredKey[]): Promise<void> {
  // Retirements first, so that the new current key never meets the old one as current.
  for (const key of [...keys].sort((a, b) => Number(a.retiredAt === null) - Number(b.retiredAt === null))) {
    await tx.query(
      `INSERT INTO receipt_keys (kid, public_jwk, created_at, retired_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (kid) DO UPDATE SET retired_at = COALESCE(receipt_keys.retired_at, EXCLUDED.retired_at)`,
      [key.kid, publicReceiptJwk(key), key.createdAt, key.retiredAt],
    );
  }
}

/**
 * The JWKS document: every receipt key, current and retired. Each key carries
 * its validity as JWK members (docs/verifying.md): `retired_at` and
 * `compromised_at` (RFC 3339), which every verifier honours; the
 * `custody_ledger` member repeats the status for people.
 */
export async function receiptJwks(db: DataSource): Promise<JSONWebKeySet & { custody_ledger: unknown }> {
  const rows: Array<{
    kid: string;
    public_jwk: JWK;
    created_at: Date;
    retired_at: Date | null;
    compromised_at: Date | null;
  }> = await db.query(
    'SELECT kid, public_jwk, created_at, retired_at, compromised_at FROM receipt_keys ORDER BY created_at, kid',
  );
  return {
    keys: rows.map((row) => ({
      ...row.public_jwk,
      ...(row.retired_at ? { retired_at: row.retired_at.toISOString() } : {}),
      ...(row.compromised_at ? { compromised_at: row.compromised_at.toISOString() } : {}),
    })),
    custody_ledger: {
      keys: rows.map((row) => ({
        kid: row.kid,
        status: row.compromised_at ? 'compromised' : row.retired_at ? 'retired' : 'current',
        createdAt: row.created_at.toISOString(),
        retiredAt: row.retired_at?.toISOString() ?? null,
        compromisedAt: row.compromised_at?.toISOString() ?? null,
      })),
    },
  };
}

/**
 * The receipt key this process signs with. Another process (`npm run keys --
 * rotate`) may rotate it; every `refreshMs` the keyring asks the database which
 * key is current and, when it changed, loads that key from DATA_DIR/keys.
 */
export class ReceiptKeyring {
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private current: ReceiptSigningKey,
    private readonly db: DataSource,
    private readonly load: () => Promise<StoredKey[]>,
  ) {}

  static start(
    db: DataSource,
    initial: StoredKey,
    load: () => Promise<StoredKey[]>,
    refreshMs = 5000,
  ): ReceiptKeyring {
    const keyring = new ReceiptKeyring(signingKeyOf(initial), db, load);
    keyring.timer = setInterval(() => {
      keyring.refresh().catch(() => {
        // Keep signing with the key we have; the next refresh tries again.
      });
    }, refreshMs);
    keyring.timer.unref();
    return keyring;
  }

  signingKey(): ReceiptSigningKey {
    return this.current;
  }

  /** Switches to the database's current key if it is not ours. */
  async refresh(): Promise<void> {
    const rows: Array<{ kid: string }> = await this.db.query(
      'SELECT kid FROM receipt_keys WHERE retired_at IS NULL',
    );
    const kid = rows[0]?.kid;
    if (!kid || kid === this.current.kid) return;
    const key = (await this.load()).find((candidate) => candidate.kid === kid);
    if (key) this.current = signingKeyOf(key);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
