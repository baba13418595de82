import { CompactSign } from 'jose';
import type { DisclosureAudience } from '../access/disclosure-scope';
import { caseRole } from '../access/permissions';
import type { Principal, Role } from '../access/roles';
import type { EvidenceRecord } from '../db/evidence.repository';
import type { LogRepository } from '../db/log.repository';
import { LedgerError } from '../errors';
import type { EvidenceService, IntegrityCheck } from '../evidence/evidence-service';
import {
  type Actor,
  consistencyProof,
  encodeTlogProof,
  entryLeafData,
  equalBytes,
  fromUtf8,
  inclusionProof,
  type LogEntry,
  leafHash,
  type NoteVerifier,
  openCheckpoint,
  parseEntry,
  toBase64,
  verifyConsistency,
  verifyInclusion,
} from '../ledger';
import type { CustodyLog } from '../log/custody-log';
import type { ReceiptSigningKey } from '../receipts/receipt';
import { checkChains, REPORT_TYPE } from '../verify';
import { type Anomaly, findAnomalies } from './anomalies';
import {
  type ItemContext,
  type ReportContext,
  type ReportEntry,
  type ReportItem,
  readerEntry,
  reportContext,
  reportItem,
} from './report-audience';

export type { ItemContext, ReportContext, ReportEntry, ReportItem } from './report-audience';

export interface VerificationResult {
  readonly ok: boolean;
  /** The outcome in English, for logs and tools. */
  readonly detail: string;
  /**
   * The same outcome as a code and its values, so that a document in another
   * language words it in that language (reports/messages: `check_<code>`).
   */
  readonly outcome: {
    readonly code: CheckOutcome;
    readonly values: Readonly<Record<string, string | number>>;
  };
}

/** What one check of a report found (see `VerificationResult.outcome`). */
export type CheckOutcome =
  | 'BYTES_MATCH'
  | 'RECORD_MISMATCH'
  | 'INTAKE_UNREADABLE'
  | 'CONTENT_MISSING'
  | 'CONTENT_MISMATCH'
  | 'CHAIN_INTACT'
  | 'ALL_INCLUDED'
  | 'CHECKPOINTS_CONSISTENT'
  | 'CHECK_FAILED';

/**
 * Whom a report was issued to, and as what: the audience decides which
 * withheld fields it shows (formats.md §1.1), so the signed report says so.
 */
export interface ReportReader {
  readonly agency: string;
  readonly role: string;
  readonly as: DisclosureAudience['kind'];
  /** The disclosure a recipient's report was issued under. */
  readonly disclosure?: string;
}

/**
 * A report entry with its proof of inclusion: `tlog_proof` is a C2SP
 * tlog-proof (formats.md §3), the same text a receipt's `tlog_proof` and a
 * package's `proofs/<index>.tlog-proof` hold: `index`, the RFC 6962 audit
 * path of `leafHash` and the report's own checkpoint (`log.checkpoint`),
 * verbatim. Any tlog-proof reader checks it without the service.
 */
export interface ProvenReportEntry extends ReportEntry {
  readonly tlog_proof: string;
}

/**
 * The signed report (the payload of its JWS), self-contained: with the JWKS
 * and the log's vkey a reader checks it offline (src/verify/report.ts,
 * `npm run verify -- report`): the signature, the checkpoint `log.checkpoint`
 * (a C2SP signed note, the one every entry's `tlog_proof` is against), each
 * entry's leaf hash, inclusion proof, chain link and disclosures.
 */
export interface CustodyReport {
  readonly generatedAt: string;
  readonly issuedTo: ReportReader;
  readonly context: ReportContext;
  /** The checkpoint the report was verified against: origin, tree size and the signed note text. */
  readonly log: { readonly origin: string; readonly size: number; readonly checkpoint: string };
  readonly item: ReportItem;
  /** The item's chain up to the checkpoint, in order of seq, each entry with its inclusion proof. */
  readonly entries: readonly ProvenReportEntry[];
  readonly verification: {
    readonly verdict: 'verified' | 'failed';
    readonly bytes: VerificationResult;
    readonly chain: VerificationResult;
    readonly inclusion: VerificationResult;
    readonly consistency: VerificationResult;
  };
  readonly anomalies: readonly Anomaly[];
}

/**
 * Court custody reports (JSON): the item, every entry of its chain, and a
 * verification computed now (the evidence record checked against its signed
 * intake entry and the stored bytes re-hashed, every chain link and
 * leaf hash, every entry's inclusion under the latest checkpoint, and the
 * consistency of each entry's own checkpoint with the latest), plus anomalies.
 * A report is issued to one audience (access/disclosure-scope.ts): each entry
 * carries exactly the disclosures that audience receives, and the item and
 * the legal frame show no more than it may see (report-audience.ts).
 * Issuing a report is itself an entry on the item's chain (a package's reports
 * are recorded by its fetch, on the case's chain); the report is signed
 * with the receipt key. A failed record or bytes check is recorded on the chain
 * (`integrity.failed`) before the chain is read, so the report lists it as an
 * anomaly as well as failing its verdict.
 */
export class CustodyReports {
  constructor(
    private readonly evidence: EvidenceService,
    private readonly entries: LogRepository,
    private readonly log: CustodyLog,
    private readonly logKey: NoteVerifier,
    private readonly signingKey: () => ReceiptSigningKey,
    private readonly maxGapMs: number,
    /** The item's case, break-glass openings and orders, as far as `principal` may know them. */
    private readonly contextOf: (item: EvidenceRecord, principal: Principal) => Promise<ItemContext>,
  ) {}

  /** A report for a reader of the item: a member of its case sees everything, a holder outside it what is public. */
  async issue(
    principal: Principal,
    id: string,
    format: 'json' | 'pdf' = 'json',
  ): Promise<{ report: CustodyReport; jws: string }> {
    const { item, standing, audience } = await this.evidence.get(principal, id, 'evidence.report');
    return this.issueFor(principal, item, caseRole(standing, 'evidence.report'), format, audience);
  }

  /**
   * As `issue`, for an item the caller is already entitled to, acting in
   * `role`, shown to `audience` (a disclosure's recipient, for its package).
   */
  async issueFor(
    principal: Principal,
    item: EvidenceRecord,
    role: Role,
    format: 'json' | 'pdf',
    audience: DisclosureAudience,
  ): Promise<{ report: CustodyReport; jws: string }> {
    const actor: Actor = { sub: principal.sub, agency: principal.agency, role };
    // A package's reports are recorded by its fetch (`disclosure.fetched`, on the case's chain). On the
    // item's chain, whose acting agencies every later recipient reads, they would name this recipient.
    if (audience.kind !== 'recipient')
      await this.log.record({
        subject: { type: 'evidence', id: item.id },
        type: 'report.issued',
        actor,
        data: { format },
      });
    const issuedTo: ReportReader = {
      agency: principal.agency,
      role,
      as: audience.kind,
      ...(audience.kind === 'recipient' ? { disclosure: audience.disclosureId } : {}),
    };
    const report = await this.build(principal, item, actor, audience, issuedTo);
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(report)))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.signingKey().kid, typ: REPORT_TYPE })
      .sign(this.signingKey().key);
    return { report, jws };
  }

  private async build(
    principal: Principal,
    item: EvidenceRecord,
    actor: Actor,
    audience: DisclosureAudience,
    issuedTo: ReportReader,
  ): Promise<CustodyReport> {
    const bytes = bytesResult(await this.evidence.checkStored(item, actor, false));
    const head = await this.entries.head();
    if (!head) throw new LedgerError('SERVICE_UNAVAILABLE', 'The log is not initialised');
    const latest = openCheckpoint(head.checkpoint, this.logKey);
    // The report speaks for the log as of its checkpoint: an entry logged since then waits for the next report.
    const stored = (await this.entries.chain('evidence', item.id)).filter((row) => row.index < latest.size);
    const parsed = stored.map((row) => parseEntry(JSON.parse(fromUtf8(row.leafData))));
    const entries = stored.map((row, i) =>
      readerEntry(
        { index: row.index, leafHash: toBase64(row.leafHash), entry: parsed[i] as LogEntry },
        row.disclosures,
        audience,
      ),
    );
    const reader = this.entries.nodeReader();

    const chain = attempt(() => {
      const leafOk = stored.every((row, i) =>
        equalBytes(leafHash(entryLeafData(parsed[i] as LogEntry)), row.leafHash),
      );
      if (!leafOk) throw new Error('a stored entry does not hash to its leaf hash');
      const [broken] = checkChains(
        stored.map((row, i) => ({
          entry: parsed[i] as LogEntry,
          index: row.index,
          leafHash: row.leafHash,
        })),
      ).failures;
      if (broken) throw new Error(`${broken.code}: ${broken.detail}`);
      const unusable = entries.find((entry) => entry.problem !== undefined);
      if (unusable)
        throw new Error(`the stored disclosures of an entry do not match it, ${unusable.problem}`);
      return passed(
        `${parsed.length} entries, each linked to the one before, their disclosures matching their digests`,
        'CHAIN_INTACT',
        { count: parsed.length },
      );
    });
    // Each proof is checked here and carried in the report, so that its reader needs no service to check it.
    const proofs: string[] = [];
    const inclusion = await attemptAsync(async () => {
      for (const row of stored) {
        const proof = await inclusionProof(reader, row.index, latest.size);
        proofs.push(encodeTlogProof({ index: row.index, proof, checkpoint: head.checkpoint }));
        verifyInclusion(row.index, latest.size, row.leafHash, proof, latest.root);
      }
      return passed(`every entry is in the log of size ${latest.size}`, 'ALL_INCLUDED', {
        size: latest.size,
      });
    });
    const consistency = await attemptAsync(async () => {
      const checkpoints = await this.entries.checkpoints();
      const sizes = new Set<number>();
      for (const row of stored) {
        const own = checkpoints.find((checkpoint) => checkpoint.size > row.index);
        if (own && own.size < latest.size) sizes.add(own.size);
      }
      for (const size of sizes) {
        const earlier = openCheckpoint(checkpoints.find((c) => c.size === size)?.note ?? '', this.logKey);
        verifyConsistency(
          size,
          latest.size,
          await consistencyProof(reader, size, latest.size),
          earlier.root,
          latest.root,
        );
      }
      return passed(
        `${sizes.size} earlier checkpoints are consistent with the latest`,
        'CHECKPOINTS_CONSISTENT',
        { count: sizes.size },
      );
    });
    const ok = bytes.ok && chain.ok && inclusion.ok && consistency.ok;
    const intake = entries.find(({ entry }) => entry.seq === 1 && entry.type === 'evidence.acquired');
    return {
      generatedAt: new Date().toISOString(),
      issuedTo,
      context: reportContext(audience, await this.contextOf(item, principal)),
      log: { origin: latest.origin, size: latest.size, checkpoint: head.checkpoint },
      item: reportItem(audience, item, intake),
      entries: entries.map(({ index, leafHash, entry, disclosures, withheld }, i) => ({
        index,
        leafHash,
        entry,
        disclosures,
        withheld,
        // A proof that could not be made (a missing tree node) is left empty: the verdict says why, a verifier fails it.
        tlog_proof: proofs[i] ?? '',
      })),
      verification: { verdict: ok ? 'verified' : 'failed', bytes, chain, inclusion, consistency },
      // Anomalies read only what every reader sees (anomalies.ts), so they say the same to every audience.
      anomalies: findAnomalies(parsed, this.maxGapMs, new Date()),
    };
  }
}

/** The report's words for the check of the record and the stored bytes against the intake entry. */
function bytesResult(check: IntegrityCheck): VerificationResult {
  const sha256 = check.intake?.sha256 ?? '';
  switch (check.reason) {
    case undefined:
      return passed(`SHA-256 ${sha256} and SHA-512 match the intake entry's digests`, 'BYTES_MATCH', {
        sha256,
      });
    case 'record_mismatch': {
      const fields = check.fields?.join(', ') ?? '';
      return failed(
        `the evidence record's ${fields} no longer match its signed intake entry (SHA-256 ${sha256})`,
        'RECORD_MISMATCH',
        { fields, sha256 },
      );
    }
    case 'intake_unreadable':
      return failed(
        'the intake entry cannot be read, so the stored bytes cannot be checked',
        'INTAKE_UNREADABLE',
        {},
      );
    case 'content_missing':
      return failed(`the stored bytes of SHA-256 ${sha256} are missing`, 'CONTENT_MISSING', { sha256 });
    case 'content_mismatch': {
      const found = check.found?.sha256 ?? '';
      return failed(`stored bytes now hash to SHA-256 ${found}, not ${sha256}`, 'CONTENT_MISMATCH', {
        found,
        sha256,
      });
    }
  }
}

function passed(
  detail: string,
  code: CheckOutcome,
  values: Readonly<Record<string, string | number>>,
): VerificationResult {
  return { ok: true, detail, outcome: { code, values } };
}

function failed(
  detail: string,
  code: CheckOutcome,
  values: Readonly<Record<string, string | number>>,
): VerificationResult {
  return { ok: false, detail, outcome: { code, values } };
}

function attempt(check: () => VerificationResult): VerificationResult {
  try {
    return check();
  } catch (error) {
    return failedWith(error);
  }
}

async function attemptAsync(check: () => Promise<VerificationResult>): Promise<VerificationResult> {
  try {
    return await check();
  } catch (error) {
    return failedWith(error);
  }
}

/** A check that threw: its code (the error's, where it has one) and where in the chain, with its message. */
function failedWith(error: unknown): VerificationResult {
  const seq = (error as { seq?: number }).seq;
  const code = error instanceof LedgerError ? error.code : 'ERROR';
  return failed(describe(error), 'CHECK_FAILED', {
    code,
    detail: (error as Error).message,
    ...(seq === undefined ? {} : { seq }),
  });
}

function describe(error: unknown): string {
  if (error instanceof LedgerError) {
    const seq = (error as { seq?: number }).seq;
    return `${error.code}${seq === undefined ? '' : ` at seq ${seq}`}: ${error.message}`;
  }
  return (error as Error).message;
}
