import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../ledger';

/**
 * The checks of a BagIt bag (RFC 8493 §3) on files already opened: the CLI
 * reads a zip with yauzl and streams payload through node:crypto, the browser
 * unzips with fflate and hashes in memory; both give this module a `BagReader`.
 */

/** The declaration a bag of ours carries (RFC 8493 §2.1.1), byte for byte. */
export const BAGIT_TXT = 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n';

/** A payload file as read from the bag: its size and the digests of its bytes (hex). */
export interface MeasuredFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly sha512: string;
}

/** An opened bag: its files by path relative to the bag root. */
export interface BagReader {
  readonly paths: readonly string[];
  /** The whole file (tag files are small). */
  read(path: string): Promise<Uint8Array>;
  /** Size and digests of the file's bytes as read, never as a manifest or the zip claims. */
  measure(path: string): Promise<MeasuredFile>;
}

/** What each bag check is about, for a reader to name it in its own language. */
export type BagCheckKind =
  | 'BAG_DECLARATION'
  | 'MANIFEST_COMPLETE'
  | 'PAYLOAD_DIGESTS'
  | 'PAYLOAD_OXUM'
  | 'TAG_FILE_DIGEST'
  | 'TAG_MANIFEST';

export interface BagCheck {
  readonly kind: BagCheckKind;
  /** The file concerned: a payload or tag file, or the manifest. */
  readonly path?: string;
  /** The check in English words (the CLI prints it). */
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface BagVerification {
  readonly checks: readonly BagCheck[];
  /** Every payload file, measured from its bytes. */
  readonly payload: readonly MeasuredFile[];
}

/** RFC 8493 §2.1.3: CR, LF and % in manifest paths are percent-encoded. */
export function encodeBagPath(path: string): string {
  return path.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

function decodeBagPath(path: string): string {
  return path.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%');
}

/** Parses a manifest: `<hex digest>  <path>` per line. */
function parseManifest(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const match = /^([0-9a-fA-F]+)\s+(.+)$/.exec(line);
    if (!match?.[1] || !match[2]) throw new Error(`malformed manifest line: ${line.slice(0, 80)}`);
    entries.set(decodeBagPath(match[2]), match[1].toLowerCase());
  }
  return entries;
}

const decoder = new TextDecoder();

/**
 * Checks a bag (RFC 8493 §3): the declaration, every payload file against both
 * manifests (and no payload file outside them), the Payload-Oxum, and every tag
 * file listed in the tag manifest. Each check is reported; nothing throws for a
 * bad bag. Returns the payload files as measured, for checks against what the
 * log recorded.
 */
export async function checkBag(bag: BagReader): Promise<BagVerification> {
  const checks: BagCheck[] = [];
  const payload: MeasuredFile[] = [];
  const check = (kind: BagCheckKind, path: string | undefined, name: string, ok: boolean, detail?: string) =>
    checks.push({ kind, ...(path === undefined ? {} : { path }), name, ok, ...(detail ? { detail } : {}) });
  const present = new Set(bag.paths);
  const text = async (path: string) => (present.has(path) ? decoder.decode(await bag.read(path)) : undefined);

  check(
    'BAG_DECLARATION',
    'bagit.txt',
    'bagit.txt declares BagIt 1.0',
    (await text('bagit.txt')) === BAGIT_TXT,
  );
  const payloadPaths = bag.paths.filter((path) => path.startsWith('data/')).sort();
  const manifests: Record<'sha256' | 'sha512', Map<string, string>> = {
    sha256: new Map(),
    sha512: new Map(),
  };
  for (const algorithm of ['sha256', 'sha512'] as const) {
    const file = `manifest-${algorithm}.txt`;
    const name = `${file} lists exactly the payload`;
    const manifest = await text(file);
    try {
      manifests[algorithm] = parseManifest(manifest ?? '');
      const listed = [...manifests[algorithm].keys()].sort();
      const same = manifest !== undefined && JSON.stringify(listed) === JSON.stringify(payloadPaths);
      check('MANIFEST_COMPLETE', file, name, same, same ? undefined : 'files missing or not listed');
    } catch (error) {
      check('MANIFEST_COMPLETE', file, name, false, (error as Error).message);
    }
  }
  let octets = 0;
  for (const path of payloadPaths) {
    const measured = await bag.measure(path);
    octets += measured.size;
    payload.push(measured);
    const ok =
      measured.sha256 === manifests.sha256.get(path) && measured.sha512 === manifests.sha512.get(path);
    check(
      'PAYLOAD_DIGESTS',
      path,
      `${path} matches its SHA-256 and SHA-512`,
      ok,
      ok ? undefined : `sha256 ${measured.sha256}`,
    );
  }
  const oxum = /^Payload-Oxum: (\d+)\.(\d+)$/m.exec((await text('bag-info.txt')) ?? '');
  check(
    'PAYLOAD_OXUM',
    'bag-info.txt',
    'bag-info.txt Payload-Oxum matches the payload',
    oxum?.[1] === String(octets) && oxum?.[2] === String(payloadPaths.length),
    `${octets}.${payloadPaths.length}`,
  );
  try {
    const tagManifest = parseManifest((await text('tagmanifest-sha256.txt')) ?? '');
    if (tagManifest.size === 0) throw new Error('tagmanifest-sha256.txt is missing or empty');
    for (const [path, digest] of tagManifest) {
      const ok = present.has(path) && toHex(sha256(await bag.read(path))) === digest;
      check('TAG_FILE_DIGEST', path, `tag file ${path} matches the tag manifest`, ok);
    }
  } catch (error) {
    check(
      'TAG_MANIFEST',
      'tagmanifest-sha256.txt',
      'tagmanifest-sha256.txt',
      false,
      (error as Error).message,
    );
  }
  return { checks, payload };
}
