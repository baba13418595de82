import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { base64urlnopad } from '@scure/base';
import { unzipSync } from 'fflate';
import { fromUtf8, toHex } from '../../src/ledger';
import type { BagReader } from '../../src/verify/bag';
import { RECEIPT_TYPE } from '../../src/verify/receipt';
import { REPORT_TYPE } from '../../src/verify/report';

/** What a dropped or chosen file is, told by its content (never by its name alone). */
export type MaterialKind = 'package' | 'receipt' | 'report' | 'vkey' | 'jwks';

export interface Material {
  readonly kind: MaterialKind;
  readonly name: string;
  readonly bytes: Uint8Array;
}

const startsWith = (bytes: Uint8Array, prefix: string) =>
  bytes.length >= prefix.length && [...prefix].every((char, i) => bytes[i] === char.charCodeAt(0));

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const VKEY = /^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/;

function jwsType(text: string): unknown {
  try {
    return (JSON.parse(fromUtf8(base64urlnopad.decode(text.split('.')[0] ?? ''))) as { typ?: unknown }).typ;
  } catch {
    return undefined;
  }
}

/**
 * A package (a zip), a report (a PDF, a report JWS or the report API's JSON),
 * a receipt (its JWS or a write's JSON answer), a log key (a vkey line) or a
 * JWKS; undefined for anything else.
 */
export function classify(name: string, bytes: Uint8Array): Material | undefined {
  const as = (kind: MaterialKind): Material => ({ kind, name, bytes });
  if (startsWith(bytes, 'PK\x03\x04')) return as('package');
  if (startsWith(bytes, '%PDF-')) return as('report');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).trim();
  } catch {
    return undefined;
  }
  if (VKEY.test(text)) return as('vkey');
  if (COMPACT_JWS.test(text)) {
    const typ = jwsType(text);
    return typ === RECEIPT_TYPE ? as('receipt') : typ === REPORT_TYPE ? as('report') : undefined;
  }
  if (!text.startsWith('{')) return undefined;
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    if (Array.isArray(json.keys)) return as('jwks');
    if (typeof json.receipt === 'string') return as('receipt');
    if (typeof json.jws === 'string') return as('report');
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * A zipped bag opened in memory: every entry under the one top-level folder,
 * by its path inside the bag. Undefined when the zip cannot be read or holds
 * anything outside one folder. The whole zip is held in memory, so a package
 * of several gigabytes (a disk image) is for the CLI, which streams payload.
 */
export function openZippedBag(bytes: Uint8Array): BagReader | undefined {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch {
    return undefined;
  }
  const files = new Map<string, Uint8Array>();
  let root: string | undefined;
  for (const [name, content] of Object.entries(entries)) {
    const [top, ...rest] = name.split('/');
    root ??= top;
    if (top !== root || rest.length === 0) return undefined;
    if (!name.endsWith('/')) files.set(rest.join('/'), content);
  }
  if (files.size === 0) return undefined;
  const bytesOf = (path: string) => {
    const file = files.get(path);
    if (!file) throw new Error(`${path} is not in the bag`);
    return file;
  };
  return {
    paths: [...files.keys()],
    read: async (path) => bytesOf(path),
    measure: async (path) => {
      const file = bytesOf(path);
      return { path, size: file.length, sha256: toHex(sha256(file)), sha512: toHex(sha512(file)) };
    },
  };
}
