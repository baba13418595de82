import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { BAGIT_TXT, type BagReader, type BagVerification, checkBag, encodeBagPath } from '../verify/bag';

export type { BagCheck, BagVerification, MeasuredFile } from '../verify/bag';

/**
 * BagIt (RFC 8493) bags, written as a zip stream and checked from a zip file.
 * No maintained Node package writes and verifies bags, so this one is ours;
 * the zip format itself is yazl's (writing) and yauzl's (reading).
 */

/** A payload file whose digests are already known (evidence: from intake); its bytes are read once, lazily. */
export interface PayloadFile {
  /** Path under `data/`, with `/` separators. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly sha512: string;
  readonly open: () => Readable;
}

export interface TagFile {
  /** Path relative to the bag root (not under `data/`). */
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface BagInfo {
  readonly sourceOrganization: string;
  readonly externalIdentifier: string;
  /** YYYY-MM-DD. */
  readonly baggingDate: string;
  /** Further `Label: value` lines, in order. */
  readonly extra?: ReadonlyArray<readonly [string, string]>;
}

/** A relative path with no empty, `.` or `..` segment: a bag never points outside itself. */
function assertSafePath(path: string): void {
  const segments = path.split('/');
  if (
    path.startsWith('/') ||
    segments.some((s) => s === '' || s === '.' || s === '..') ||
    /[\0\\]/.test(path)
  ) {
    throw new Error(`unsafe bag path: ${JSON.stringify(path)}`);
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Streams a bag as a zip whose entries sit under `<name>/`. Everything is
 * stored uncompressed: evidence rarely compresses, and a verifier then reads
 * exactly the bytes that were hashed.
 */
export function writeBag(
  name: string,
  payload: readonly PayloadFile[],
  tags: readonly TagFile[],
  info: BagInfo,
): Readable {
  assertSafePath(name);
  for (const file of [...payload.map((p) => `data/${p.path}`), ...tags.map((t) => t.path)])
    assertSafePath(file);
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as unknown as Readable;
  // A payload whose bytes fail (changed, or gone) fails the whole bag, never the process.
  const failBag = (error: Error) => output.destroy(error);
  zip.on('error', failBag);
  const tagDigests: Array<[string, string]> = [];
  const addTag = (path: string, text: string | Uint8Array) => {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text);
    tagDigests.push([path, sha256(bytes)]);
    zip.addBuffer(bytes, `${name}/${path}`, { compress: false });
  };

  const octets = payload.reduce((sum, file) => sum + file.size, 0);
  const infoLines = [
    ['Source-Organization', info.sourceOrganization],
    ['External-Identifier', info.externalIdentifier],
    ['Bagging-Date', info.baggingDate],
    ['Payload-Oxum', `${octets}.${payload.length}`],
    ...(info.extra ?? []),
  ].map(([label, value]) => `${label}: ${String(value).replace(/\r?\n/g, ' ')}`);
  addTag('bagit.txt', BAGIT_TXT);
  addTag('bag-info.txt', `${infoLines.join('\n')}\n`);
  for (const file of payload) {
    zip.addReadStreamLazy(`${name}/data/${file.path}`, { compress: false }, (callback) => {
      const bytes = file.open();
      bytes.once('error', failBag);
      callback(null, bytes);
    });
  }
  addTag(
    'manifest-sha256.txt',
    payload.map((f) => `${f.sha256}  ${encodeBagPath(`data/${f.path}`)}\n`).join(''),
  );
  addTag(
    'manifest-sha512.txt',
    payload.map((f) => `${f.sha512}  ${encodeBagPath(`data/${f.path}`)}\n`).join(''),
  );
  for (const tag of tags) addTag(tag.path, tag.bytes);
  zip.addBuffer(
    Buffer.from(tagDigests.map(([path, digest]) => `${digest}  ${encodeBagPath(path)}\n`).join(''), 'utf8'),
    `${name}/tagmanifest-sha256.txt`,
    { compress: false },
  );
  zip.end();
  return output;
}

export interface OpenedBag {
  /** Every file of the bag, by path relative to the bag root. */
  readonly files: ReadonlyMap<string, yauzl.Entry>;
  /** Reads one file fully (tag files are small; payload goes through `digest`). */
  read(path: string): Promise<Buffer>;
  /** Streams one file through the given hash algorithms; `size` counts the bytes read, not the zip's claim. */
  digest(path: string, algorithms: readonly string[]): Promise<{ size: number; hex: Record<string, string> }>;
  close(): void;
}

/** Opens a zipped bag (one top-level directory) for checking. */
export function openBag(zipPath: string): Promise<OpenedBag> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true, autoClose: false }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('cannot open zip'));
      const files = new Map<string, yauzl.Entry>();
      let root: string | undefined;
      zip.on('entry', (entry: yauzl.Entry) => {
        const [top, ...rest] = entry.fileName.split('/');
        root ??= top;
        if (top !== root || rest.length === 0) {
          zip.close();
          return reject(new Error('a bag zip holds one top-level directory'));
        }
        if (!entry.fileName.endsWith('/')) files.set(rest.join('/'), entry);
        zip.readEntry();
      });
      zip.on('error', reject);
      zip.on('end', () => {
        const stream = (path: string) =>
          new Promise<Readable>((ok, fail) => {
            const entry = files.get(path);
            if (!entry) return fail(new Error(`${path} is not in the bag`));
            zip.openReadStream(entry, (streamError, readable) =>
              streamError || !readable ? fail(streamError) : ok(readable),
            );
          });
        resolve({
          files,
          async read(path) {
            const chunks: Buffer[] = [];
            for await (const chunk of await stream(path)) chunks.push(chunk as Buffer);
            return Buffer.concat(chunks);
          },
          async digest(path, algorithms) {
            const hashes = algorithms.map((algorithm) => createHash(algorithm));
            let size = 0;
            for await (const chunk of await stream(path)) {
              size += (chunk as Buffer).length;
              for (const hash of hashes) hash.update(chunk as Buffer);
            }
            const hex = Object.fromEntries(
              algorithms.map((algorithm, i) => [algorithm, hashes[i]?.digest('hex') ?? '']),
            );
            return { size, hex };
          },
          close: () => zip.close(),
        });
      });
      zip.readEntry();
    });
  });
}

/** A zipped bag as the verifier reads bags (src/verify/bag.ts): payload streamed through node:crypto. */
export function bagReader(bag: OpenedBag): BagReader {
  return {
    paths: [...bag.files.keys()],
    read: (path) => bag.read(path),
    measure: async (path) => {
      const { size, hex } = await bag.digest(path, ['sha256', 'sha512']);
      return { path, size, sha256: hex.sha256 ?? '', sha512: hex.sha512 ?? '' };
    },
  };
}

/** Checks a zipped bag (RFC 8493 §3) with the verifier's bag checks. */
export function verifyBag(bag: OpenedBag): Promise<BagVerification> {
  return checkBag(bagReader(bag));
}
