import { type Bundle, type PayloadFile } from './bundle';
import type { ConsistencyProof } from './checkpoints';

/**
 * From files as a partner receives them (a package's tag files, a report
 * PDF's attachments, a saved API response) to what the verifier checks. The
 * CLI and the browser page read files their own way and share this.
 */

/** Files by path, read whole: a bag's tag files, or a PDF's attachments. */
export interface FileSet {
  readonly paths: readonly string[];
  read(path: string): Promise<Uint8Array>;
}

const decoder = new TextDecoder();

/** A proof file: base64 hashes one per line, or the JSON of GET /v1/log/proof/consistency. */
export function readConsistencyProof(text: string): string[] {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return trimmed.split(/\s+/).filter(Boolean);
  try {
    const proof = (JSON.parse(trimmed) as { proof?: unknown }).proof;
    return Array.isArray(proof) ? proof : [];
  } catch {
    return [];
  }
}

function jsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/**
 * A receipt as saved: its compact JWS, or a JSON response holding it in
 * `receipt` (the answer to a write). Anything else is handed on as it is, for
 * the verifier to refuse with its code.
 */
export function receiptOf(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  const body = jsonOrNull(trimmed) as { receipt?: unknown } | null;
  return body?.receipt;
}

/**
 * A signed report as saved: its compact JWS, or the body of
 * GET /v1/evidence/:id/report (`{report, jws}`, the JSON then checked to be
 * what was signed).
 */
export function reportOf(text: string): { jws: unknown; json?: unknown } {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return { jws: trimmed };
  const body = jsonOrNull(trimmed) as { jws?: unknown; report?: unknown } | null;
  return { jws: body?.jws, ...(body?.report === undefined ? {} : { json: body.report }) };
}

/** The keys a package or a PDF brings along (`jwks.json`, `log.vkey`): consistent with it, not proof of who signed. */
export async function enclosedKeys(files: FileSet): Promise<{ jwks?: unknown; vkey?: string }> {
  const has = new Set(files.paths);
  const text = async (path: string) => decoder.decode(await files.read(path));
  return {
    ...(has.has('jwks.json') ? { jwks: jsonOrNull(await text('jwks.json')) } : {}),
    ...(has.has('log.vkey') ? { vkey: (await text('log.vkey')).trim() } : {}),
  };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const CONSISTENCY_FILE = /^proofs\/consistency-(\d{1,16})-(\d{1,16})\.txt$/;
/** A package's `reports/<item>.jws`, or a report PDF's attached `report.jws`. */
const REPORT_FILE = /^(?:reports\/[^/]+|report)\.jws$/;

/**
 * The parts of a package (formats.md §6), or of a report PDF's attachments
 * (the same paths, the report as `report.jws`), as a bundle for the
 * verifier; payload digests as measured.
 */
export async function bundleOf(
  files: FileSet,
  payload: ReadonlyArray<Omit<PayloadFile, 'evidenceId'>> = [],
): Promise<Bundle> {
  const names = [...files.paths].sort();
  const has = new Set(names);
  const text = async (name: string) => decoder.decode(await files.read(name));
  const matching = (pattern: RegExp) => names.filter((name) => pattern.test(name));
  const receipts = [];
  for (const name of matching(/^receipts\/\d+\.jws$/))
    receipts.push({ name, jws: (await text(name)).trim() });
  const proofs = [];
  for (const name of matching(/^proofs\/\d+\.tlog-proof$/)) proofs.push({ name, text: await text(name) });
  const consistency: Array<{ name: string; value: ConsistencyProof }> = [];
  for (const name of names) {
    const sizes = CONSISTENCY_FILE.exec(name);
    if (sizes) {
      consistency.push({
        name,
        value: {
          from: Number(sizes[1]),
          to: Number(sizes[2]),
          proof: readConsistencyProof(await text(name)),
        },
      });
    }
  }
  const reports = [];
  for (const name of matching(REPORT_FILE)) {
    const json = name.replace(/\.jws$/, '.json');
    reports.push({
      name,
      jws: (await text(name)).trim(),
      ...(has.has(json) ? { json: jsonOrNull(await text(json)) } : {}),
    });
  }
  // Every file under disclosures/ goes to the verifier, which refuses one not named `<log index>.json`.
  const disclosures = [];
  for (const name of matching(/^disclosures\//))
    disclosures.push({ name, value: jsonOrNull(await text(name)) });
  // A payload directory is named `<exhibit>-<evidence id>`: the id says which intake entry its bytes must match.
  const payloads = payload.map((file) => ({
    ...file,
    evidenceId: UUID.exec(file.path.split('/')[1] ?? '')?.[0] ?? '(none)',
  }));
  return { receipts, proofs, consistency, reports, disclosures, payloads };
}
