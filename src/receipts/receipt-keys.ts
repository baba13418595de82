import { createPrivateKey, type JsonWebKeyInput } from 'node:crypto';
import type { JSONWebKeySet, JWK } from 'jose';
import type { DataSource } from 'typeorm';
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
  await db
    .transaction(async (tx) => {
      for (const key of [...keys].sort(
        (a, b) => Number(a.retiredAt === null) - Number(b.retiredAt === null),
      )) {
        await tx.query(
          `INSERT INTO receipt_keys (kid, public_jwk, created_at, retired_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (kid) DO UPDATE SET retired_at = COALESCE(receipt_keys.retired_at, EXCLUDED.retired_at)`,
          [key.kid, publicReceiptJwk(key), key.createdAt, key.retiredAt],
        );
      }
    })
    .catch((error: { driverError?: { constraint?: string } }) => {
      if (error.driverError?.constraint === 'receipt_keys_one_current') {
        throw new Error(
          'another receipt key is current in this database: every process must share DATA_DIR/keys',
        );
      }
      throw error;
    });
}

/** The JWKS document: every receipt key, current and retired, with the service's own status metadata. */
export async function receiptJwks(db: DataSource): Promise<JSONWebKeySet & { custody_ledger: unknown }> {
  const rows: Array<{ kid: string; public_jwk: JWK; created_at: Date; retired_at: Date | null }> =
    await db.query(
      'SELECT kid, public_jwk, created_at, retired_at FROM receipt_keys ORDER BY created_at, kid',
    );
  return {
    keys: rows.map((row) => row.public_jwk),
    custody_ledger: {
      keys: rows.map((row) => ({
        kid: row.kid,
        status: row.retired_at ? 'retired' : 'current',
        createdAt: row.created_at.toISOString(),
        retiredAt: row.retired_at?.toISOString() ?? null,
      })),
    },
  };
}
