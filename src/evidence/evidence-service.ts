import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type DisclosureAudience, MEMBER_AUDIENCE, PUBLIC_AUDIENCE } from '../access/disclosure-scope';
import {
  CASE_PERMISSIONS,
  type CaseAction,
  type CaseStanding,
  caseAllows,
  caseRole,
} from '../access/permissions';
import type { Principal, Role } from '../access/roles';
import type { AccessibleCase, CaseRepository } from '../db/case.repository';
import {
  DuplicateExhibitError,
  type EvidenceRecord,
  type EvidenceRepository,
} from '../db/evidence.repository';
import type { LogRepository, StoredEntry } from '../db/log.repository';
import { ConflictError, DependencyUnavailableError, LedgerError, NotFoundError } from '../errors';
import { faultPoint } from '../faults';
import { type Actor, type EntryValue, type LogEntry, revealFields } from '../ledger';
import type { CustodyLog, Receipted, Recorded } from '../log/custody-log';
import { type DomainWriter, domainWrite, inLockOrder } from '../log/domain-write';
import { type EntryView, entryView, entryViews, givenDisclosures } from '../log/log-reader';
import type { Appended } from '../log/sequencer';
import type { BlobStore, ByteRange, StagingFile } from '../storage/blob-store';
import {
  acquiredState,
  applyCustodyEvent,
  type CustodyActor,
  type CustodyEvent,
  type CustodyState,
  custodyAction,
} from './custody';
import { type DigestAlgorithm, Digester, type DigestSet } from './digests';
import { checkIntakeRecord, type IntakeDigests } from './intake-record';
import { verifiedRead } from './verified-read';

/** What the investigator states about the exhibit (api.md, Evidence). */
export interface IntakeMetadata {
  readonly exhibitNumber: string;
  readonly description: string;
  readonly source: string;
  readonly acquiredAt: Date;
  readonly acquiredBy: string;
  readonly acquisitionTool?: string | undefined;
  readonly location?: string | undefined;
  readonly sealNumber?: string | undefined;
  /** The investigator's own SHA-256 of the file; a mismatch rejects the upload. */
  readonly sha256?: string | undefined;
  readonly acquisitionHash?: { readonly alg: string; readonly value: string } | undefined;
  /** Also compute MD5 and SHA-1, for forensic tools that still expect them. */
  readonly legacyDigests?: boolean | undefined;
}

/** The received file: finished (fsynced) in staging, with its digests. */
export interface ReceivedFile {
  readonly staging: StagingFile;
  readonly size: number;
  readonly digests: DigestSet & { sha256: string; sha512: string };
  readonly originalFilename: string | null;
  readonly mediaType: string | null;
}

/** Who the scheduled fixity sweep is in the log: the service itself, not a person. */
const FIXITY_SWEEPER: Actor = { sub: 'service:fixity-sweep', agency: 'SYSTEM', role: 'custodian' };

/** Why an integrity check failed: the `reason` of its `integrity.failed` entry. */
export type IntegrityFailure =
  | 'record_mismatch'
  | 'intake_unreadable'
  | 'content_mismatch'
  | 'content_missing';

/**
 * What a check of an item against its intake entry found. `method` says what
 * was looked at: the evidence record only (`record`), the stored bytes re-read
 * in full (`rehash`), or the bytes as they were being sent (`stream`).
 */
export interface IntegrityCheck {
  readonly intact: boolean;
  readonly method: 'record' | 'rehash' | 'stream';
  readonly reason?: IntegrityFailure;
  /** The intake entry's digests, when it could be read. */
  readonly intake?: IntakeDigests;
  /** The evidence record's fields that disagree with the intake entry. */
  readonly fields?: readonly string[];
  /** What the stored bytes hash to now, when they were read (`stream` computes SHA-256 only). */
  readonly found?: { readonly sha256: string; readonly sha512?: string; readonly size: number };
}

/** Bytes of an item, opened for a reader after its record was checked against its intake entry. */
export interface OpenedContent {
  readonly stream: Readable;
  /** The receipt of the `evidence.accessed` entry. */
  readonly receipt: string;
  readonly range: ByteRange | undefined;
  /** Size and SHA-256 of the whole item, from its intake entry. */
  readonly size: number;
  readonly sha256: string;
}

/** An item's bytes for a package: the intake entry's digests, and the bytes verified as they are read. */
export interface PackagedContent extends IntakeDigests {
  readonly open: () => Readable;
}

/** An item as one caller may use it: the item and where the caller stands towards it. */
export interface AccessibleItem {
  readonly item: EvidenceRecord;
  readonly standing: CaseStanding;
  /** Which withheld entry fields the caller receives: all for a member of the case, none for a holder or receiver who is not. */
  readonly audience: DisclosureAudience;
}

/** An entry a caller just wrote, with its receipt and the disclosures of its withheld fields: the writer may see them all. */
export interface RecordedEntry extends Receipted<LogEntry> {
  readonly disclosures: readonly string[];
}

const writersDisclosures = (appended: Appended) => appended.disclosures.map((d) => d.disclosure);

export function digestAlgorithms(metadata: Pick<IntakeMetadata, 'legacyDigests'>): DigestAlgorithm[] {
  return metadata.legacyDigests ? ['sha256', 'sha512', 'md5', 'sha1'] : ['sha256', 'sha512'];
}

/**
 * Evidence intake, custody events, content access and fixity. Every change is a
 * log entry on the item's own chain, committed with the row it changes.
 */
export class EvidenceService {
  private readonly intakeWriter: DomainWriter<EvidenceRecord>;
  private readonly custodyWriter: DomainWriter<{ id: string; event: CustodyEvent; actor: CustodyActor }>;

  constructor(
    private readonly cases: CaseRepository,
    private readonly evidence: EvidenceRepository,
    private readonly entries: LogRepository,
    private readonly blobs: BlobStore,
    private readonly log: CustodyLog,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.intakeWriter = {
      writeAll: async (tx, records) => {
        await this.evidence.insertAll(tx, records);
        // Under the content-address locks: the bytes are still there. If a clean-up removed them
        // since they were linked (old orphaned bytes this intake reused), the upload is refused as
        // a passing fault: sent again, its bytes are stored anew.
        for (const record of records) {
          if (!(await this.blobs.exists(record.sha256)))
            throw new DependencyUnavailableError(1, {
              cause: new Error('stored bytes vanished before commit'),
            });
        }
      },
    };
    this.custodyWriter = {
      writeAll: async (tx, changes) => {
        // Items locked in id order, whatever order the requests came in (see `inLockOrder`).
        for (const change of inLockOrder(changes, (c) => c.id)) {
          const locked = await this.evidence.lockCustody(tx, change.id);
          if (!locked) throw new NotFoundError('evidence');
          await this.evidence.saveCustody(
            tx,
            change.id,
            applyCustodyEvent(locked.custody, change.event, change.actor),
          );
        }
      },
    };
  }

  /**
   * Checked before a byte of the file is read: the case exists for the caller
   * (else 404) and the caller may take in evidence there (else 403).
   */
  async authorizeIntake(principal: Principal, caseId: string): Promise<AccessibleCase> {
    const found = await this.cases.findAccessible(caseId, principal);
    if (!found) throw new NotFoundError('case');
    caseRole(found.standing, 'evidence.upload');
    return found;
  }

  /**
   * Stores the received bytes under their SHA-256 and records the acquisition.
   * On any failure nothing is left: the staging file is gone, and bytes stored
   * for this upload are removed unless another item references them.
   */
  async intake(
    principal: Principal,
    { record: target, standing }: AccessibleCase,
    metadata: IntakeMetadata,
    file: ReceivedFile,
    declaredSha256?: string,
  ): Promise<Receipted<EvidenceRecord>> {
    const declared = metadata.sha256 ?? declaredSha256;
    if (declared !== undefined && declared.toLowerCase() !== file.digests.sha256) {
      await this.blobs.discard(file.staging);
      throw new LedgerError('HASH_MISMATCH', 'The SHA-256 of the received bytes is not the declared one');
    }
    const role = caseRole(standing, 'evidence.upload');
    const record: EvidenceRecord = {
      id: randomUUID(),
      caseId: target.id,
      exhibitNumber: metadata.exhibitNumber,
      description: metadata.description,
      source: metadata.source,
      acquiredAt: metadata.acquiredAt,
      acquiredBy: metadata.acquiredBy,
      acquisitionTool: metadata.acquisitionTool ?? null,
      location: metadata.location ?? null,
      sealNumber: metadata.sealNumber ?? null,
      originalFilename: file.originalFilename,
      mediaType: file.mediaType,
      size: file.size,
      sha256: file.digests.sha256,
      sha512: file.digests.sha512,
      md5: file.digests.md5 ?? null,
      sha1: file.digests.sha1 ?? null,
      acquisitionHash: metadata.acquisitionHash ?? null,
      createdBy: principal.sub,
      createdAt: this.now(),
      custody: acquiredState({ agency: principal.agency, sub: principal.sub }, metadata.sealNumber ?? null),
    };
    let stored: { created: boolean };
    try {
      stored = await this.blobs.commit(file.staging, record.sha256);
    } catch (error) {
      await this.blobs.discard(file.staging);
      throw error;
    }
    await faultPoint('blob.after-rename'); // tests: a crash with the blob stored and nothing recorded
    try {
      const { receipt } = await this.log.record({
        subject: { type: 'evidence', id: record.id },
        type: 'evidence.acquired',
        actor: { sub: principal.sub, agency: principal.agency, role },
        data: acquisitionData(record),
        write: domainWrite(this.intakeWriter, record),
      });
      return { value: record, receipt };
    } catch (error) {
      if (stored.created) await this.removeIfUnreferenced(record.sha256);
      if (error instanceof DuplicateExhibitError) {
        throw new ConflictError('EXHIBIT_NUMBER_TAKEN', 'This case already has an exhibit with this number');
      }
      throw error;
    }
  }

  private async removeIfUnreferenced(sha256: string): Promise<void> {
    await this.evidence.withBlobLock(sha256, async (tx) => {
      if (!(await this.evidence.referencesBlob(tx, sha256))) await this.blobs.remove(sha256);
    });
  }

  /**
   * The item and the caller's standing towards it, if the caller may know it
   * exists: as a member of its case, or as the party named to receive it or
   * holding it (metadata and handling, never its bytes). The item and the
   * case's membership are looked up in one statement.
   */
  async access(principal: Principal, id: string): Promise<AccessibleItem> {
    const found = await this.evidence.findWithStanding(id, principal);
    const standing = found && (found.standing ?? custodyStanding(principal, found.item.custody));
    if (!found || !standing) throw new NotFoundError('evidence');
    return { item: found.item, standing, audience: itemAudience(found.standing) };
  }

  /** The item, if the caller may read it (see `access`). */
  async get(principal: Principal, id: string, action: CaseAction = 'case.read'): Promise<AccessibleItem> {
    const found = await this.access(principal, id);
    caseRole(found.standing, action);
    return found;
  }

  /**
   * One page of a case's items, newest first, for a caller who may read the
   * case (404 when it may not know the case, 403 when its role may not read it).
   */
  async listOfCase(
    principal: Principal,
    caseId: string,
    limit: number,
    after?: { readonly createdAt: Date; readonly id: string },
  ): Promise<{ items: EvidenceRecord[]; next: { createdAt: Date; id: string } | undefined }> {
    const found = await this.cases.findAccessible(caseId, principal);
    if (!found) throw new NotFoundError('case');
    caseRole(found.standing, 'case.read');
    const rows = await this.evidence.listOfCase(caseId, limit + 1, after);
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return { items: rows.slice(0, limit), next: last && { createdAt: last.createdAt, id: last.id } };
  }

  /**
   * One page of the transfers awaiting acknowledgement, latest first: those
   * the caller's side is named to receive (it sees the items' metadata to
   * acknowledge them, as `access` allows) or, with `sending`, those its side
   * sent from a case it may read. Each carries the transfer entry's purpose
   * where the caller receives that field as it would reading the item's
   * chain: a member of the case does, a receiver outside it does not (a
   * version 2 entry withholds it from the public).
   */
  async inTransit(
    principal: Principal,
    side: 'receiving' | 'sending',
    limit: number,
    after?: { readonly createdAt: Date; readonly id: string },
  ): Promise<{
    items: Array<{ item: EvidenceRecord; transferredAt: Date; purpose: string | undefined }>;
    next: { createdAt: Date; id: string } | undefined;
  }> {
    const rows = await this.evidence.inTransit(principal, side, limit + 1, after);
    const visible = rows
      .slice(0, limit)
      .filter(({ item, standing }) =>
        side === 'receiving'
          ? custodyStanding(principal, item.custody) !== undefined
          : standing !== undefined && caseAllows(standing, 'case.read'),
      );
    const transfers = await this.entries.latestOfType(
      'evidence',
      visible.map(({ item }) => item.id),
      'custody.transferred',
    );
    const items = visible.map(({ item, transferredAt, standing }) => {
      const stored = transfers.get(item.id);
      return { item, transferredAt, purpose: stored && readPurpose(stored, itemAudience(standing)) };
    });
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return { items, next: last && { createdAt: last.transferredAt, id: last.item.id } };
  }

  /** An item by id with no scope check: only for callers holding another entitlement (a disclosure). */
  async findDisclosed(id: string): Promise<EvidenceRecord> {
    const found = await this.evidence.find(id);
    if (!found) throw new NotFoundError('evidence');
    return found;
  }

  /** Every entry of the item's chain, in order, with its log index and leaf hash. */
  async chain(principal: Principal, id: string): Promise<EntryView[]> {
    const { item, audience } = await this.get(principal, id);
    return entryViews(await this.entries.chain('evidence', item.id), audience);
  }

  /**
   * The item as its intake entry attests it, for an entry that cites it (an
   * order linking it): the digest comes from the log, never from the mutable
   * row, and a row that disagrees is recorded as `integrity.failed` and refused.
   */
  async attested(
    principal: Principal,
    id: string,
  ): Promise<{ id: string; exhibitNumber: string; sha256: string }> {
    const { item, standing } = await this.get(principal, id);
    const role = caseRole(standing, 'case.read');
    const intake = await this.trustedIntake(item, { sub: principal.sub, agency: principal.agency, role });
    return { id: item.id, exhibitNumber: item.exhibitNumber, sha256: intake.sha256 };
  }

  /** Index and leaf hash of the item's latest entry. */
  async chainHead(id: string): Promise<{ seq: number; index: number; leafHash: string } | null> {
    const last = await this.entries.chainHead('evidence', id);
    return last
      ? { seq: last.seq, index: last.index, leafHash: Buffer.from(last.leafHash).toString('base64') }
      : null;
  }

  /** Records a custody event on the item's chain; the state rules apply inside the log batch. */
  async recordEvent(principal: Principal, id: string, event: CustodyEvent): Promise<RecordedEntry> {
    const { item, standing } = await this.access(principal, id);
    const actor: CustodyActor = { sub: principal.sub, agency: principal.agency };
    const role = caseRole(standing, custodyAction(event.type));
    // Checked here for a quick answer; checked again, authoritatively, under the row lock.
    applyCustodyEvent(item.custody, event, actor);
    const { appended, receipt } = await this.log.record({
      subject: { type: 'evidence', id: item.id },
      type: event.type,
      actor: { sub: principal.sub, agency: principal.agency, role },
      data: eventData(event),
      write: domainWrite(this.custodyWriter, { id: item.id, event, actor }),
    });
    return { value: appended.entry, disclosures: writersDisclosures(appended), receipt };
  }

  /**
   * Opens the bytes of an item (as `access` returned it to this principal), for
   * members whose grant opens them. The record is checked against the intake
   * entry first (a mismatch is recorded and refused, EVIDENCE_RECORD_TAMPERED);
   * `rangeOf` then picks the range within the intake's size. The access (who,
   * which range) is logged before the first byte is returned; if logging fails,
   * nothing is sent. Bytes are read by the intake entry's SHA-256, never the row's.
   *
   * A whole-file read is hashed as it is sent (see `verifiedRead`): bytes that
   * changed on disk end the transfer as failed, recorded as `integrity.failed`.
   * A range is sent unhashed: a part cannot be compared with a whole-file
   * digest, and re-reading the whole item for every range (players and
   * forensic tools ask for many) would multiply the reads of large items. The
   * record check still applies, `Repr-Digest` lets the client check the parts
   * it assembles, and the bytes themselves are covered by fixity checks.
   */
  async openContent(
    principal: Principal,
    { item, standing }: AccessibleItem,
    rangeOf: (size: number) => ByteRange | undefined,
  ): Promise<OpenedContent> {
    const actor: Actor = {
      sub: principal.sub,
      agency: principal.agency,
      role: caseRole(standing, 'evidence.content'),
    };
    const intake = await this.trustedIntake(item, actor);
    const range = rangeOf(intake.size);
    const { receipt } = await this.log.record({
      subject: { type: 'evidence', id: item.id },
      type: 'evidence.accessed',
      actor,
      data: {
        range: range ? { start: range.start, end: range.end } : null,
        bytes: range ? range.end - range.start + 1 : intake.size,
      },
    });
    const whole = !range || (range.start === 0 && range.end === intake.size - 1);
    const stream = whole ? this.verifiedBlob(item.id, actor, intake) : this.blobs.read(intake.sha256, range);
    return { stream, receipt, range, size: intake.size, sha256: intake.sha256 };
  }

  /**
   * An item's bytes for a disclosure package, under the same rules as a
   * whole-file download: the record is checked first (a mismatch is recorded
   * and refused), and the bytes are verified as the package streams them.
   */
  async packagedContent(item: EvidenceRecord, actor: Actor): Promise<PackagedContent> {
    const intake = await this.trustedIntake(item, actor);
    return { ...intake, open: () => this.verifiedBlob(item.id, actor, intake) };
  }

  /** The intake entry's digests if the record agrees with them; otherwise records `integrity.failed` and refuses. */
  private async trustedIntake(item: EvidenceRecord, actor: Actor): Promise<IntakeDigests> {
    const record = await checkIntakeRecord(this.entries, item);
    if (record.intact) return record.intake;
    await this.recordIntegrity(item.id, actor, {
      intact: false,
      method: 'record',
      reason: record.reason,
      ...(record.intake ? { intake: record.intake, fields: record.fields } : {}),
    });
    throw new LedgerError(
      'EVIDENCE_RECORD_TAMPERED',
      'The evidence record no longer matches its signed intake entry; the failure is on its chain',
    );
  }

  /** The whole stored file, verified against the intake entry as it is read; a mismatch is recorded. */
  private verifiedBlob(id: string, actor: Actor, intake: IntakeDigests): Readable {
    return verifiedRead(this.blobs.read(intake.sha256), intake, async (mismatch) => {
      await this.recordIntegrity(id, actor, {
        intact: false,
        method: 'stream',
        reason: mismatch.reason,
        intake,
        ...(mismatch.reason === 'content_mismatch'
          ? { found: { sha256: mismatch.sha256, size: mismatch.size } }
          : {}),
      });
      return new LedgerError(
        'EVIDENCE_CONTENT_CORRUPT',
        'The stored bytes do not match the intake entry; the transfer was ended and the failure recorded',
      );
    });
  }

  /**
   * Checks the record against the intake entry and re-hashes the stored bytes
   * now; records `integrity.verified` or `integrity.failed` with what was found.
   */
  async checkFixity(principal: Principal, id: string): Promise<RecordedEntry & { intact: boolean }> {
    const { item, standing } = await this.access(principal, id);
    const role = caseRole(standing, 'evidence.handle');
    const { intact, recorded } = await this.checkStored(
      item,
      { sub: principal.sub, agency: principal.agency, role },
      true,
    );
    const { appended, receipt } = recorded as Recorded;
    return { value: appended.entry, disclosures: writersDisclosures(appended), receipt, intact };
  }

  /** The scheduled sweep's check of one item (no principal: the service itself acts). */
  async sweepFixity(id: string): Promise<IntegrityCheck | undefined> {
    const item = await this.evidence.find(id);
    return item && this.checkStored(item, FIXITY_SWEEPER, true);
  }

  /** Ids of items after `after` in id order: the sweep walks the store in pages. */
  idsAfter(after: string | null, limit: number): Promise<string[]> {
    return this.evidence.idsAfter(after, limit);
  }

  /**
   * Checks an item against its intake entry: the record first, then the stored
   * bytes (read by the intake's SHA-256) re-hashed in full. A failure is always
   * recorded on the item's chain, as `actor`; an intact item only when
   * `recordIntact` (a fixity check, not a report reading the item).
   */
  async checkStored(
    item: EvidenceRecord,
    actor: Actor,
    recordIntact: boolean,
  ): Promise<IntegrityCheck & { recorded?: Recorded }> {
    const check = await this.inspect(item);
    if (check.intact && !recordIntact) return check;
    return { ...check, recorded: await this.recordIntegrity(item.id, actor, check) };
  }

  private async inspect(item: EvidenceRecord): Promise<IntegrityCheck> {
    const record = await checkIntakeRecord(this.entries, item);
    if (!record.intake) return { intact: false, method: 'record', reason: record.reason };
    const { intake } = record;
    const found = await this.digestStored(intake.sha256);
    const read = found ? { found } : {};
    if (!record.intact) {
      return {
        intact: false,
        method: 'rehash',
        reason: record.reason,
        intake,
        fields: record.fields,
        ...read,
      };
    }
    if (!found) return { intact: false, method: 'rehash', reason: 'content_missing', intake };
    const matches =
      found.sha256 === intake.sha256 && found.sha512 === intake.sha512 && found.size === intake.size;
    return matches
      ? { intact: true, method: 'rehash', intake, found }
      : { intact: false, method: 'rehash', reason: 'content_mismatch', intake, found };
  }

  /**
   * The one path by which integrity entries are written: fixity checks, the
   * sweep, reports, downloads and packages. The entry holds what was found,
   * why it failed, and which fields of the record disagreed.
   */
  private recordIntegrity(id: string, actor: Actor, check: IntegrityCheck): Promise<Recorded> {
    return this.log.record({
      subject: { type: 'evidence', id },
      type: check.intact ? 'integrity.verified' : 'integrity.failed',
      actor,
      data: withoutNulls({
        sha256: check.found?.sha256 ?? null,
        sha512: check.found?.sha512 ?? null,
        size: check.found?.size ?? null,
        method: check.method,
        reason: check.reason ?? null,
        fields: check.fields ? [...check.fields] : null,
      }),
    });
  }

  /** SHA-256, SHA-512 and size of the stored bytes now; undefined when they are gone. */
  private async digestStored(
    sha256: string,
  ): Promise<{ sha256: string; sha512: string; size: number } | undefined> {
    const digester = Digester.create(['sha256', 'sha512']);
    try {
      for await (const chunk of this.blobs.read(sha256)) await digester.update(chunk as Buffer);
      const digests = await digester.finish();
      return { sha256: digests.sha256, sha512: digests.sha512 as string, size: digester.bytes };
    } catch (error) {
      await digester.destroy();
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}

/** Which withheld entry fields a reader of an item receives: all as a member of its case, none as a holder or receiver outside it. */
function itemAudience(membership: CaseStanding | undefined): DisclosureAudience {
  return membership ? MEMBER_AUDIENCE : PUBLIC_AUDIENCE;
}

/** A custody entry's purpose as `audience` reads it: in the clear (version 1) or through a disclosure it receives. */
function readPurpose(stored: StoredEntry, audience: DisclosureAudience): string | undefined {
  const { entry } = entryView(stored);
  const { purpose } = revealFields(entry, givenDisclosures(audience, entry, stored.disclosures)).data;
  return typeof purpose === 'string' ? purpose : undefined;
}

/**
 * Standing from custody alone, for a principal who is not a member of the
 * item's case: the party named to receive a pending transfer (to acknowledge
 * it) and the holder (to keep handling it). Neither opens the bytes.
 */
function custodyStanding(principal: Principal, custody: CustodyState): CaseStanding | undefined {
  const named = (party: { agency: string; sub: string | null } | null) =>
    party !== null &&
    party.agency === principal.agency &&
    (party.sub === principal.sub || (party.sub === null && principal.roles.includes('custodian')));
  const receiving = custody.status === 'in_transit' && named(custody.transferTo);
  const holding = custody.status === 'in_custody' && named(custody.holder);
  const allowed: readonly Role[] = receiving
    ? CASE_PERMISSIONS['evidence.receive']
    : holding
      ? ['custodian']
      : [];
  const roles = principal.roles.filter((role) => allowed.includes(role));
  return roles.length > 0 ? { roles, lead: false, content: false } : undefined;
}

/** The `evidence.acquired` entry: the exhibit's description and every digest (formats.md §1). */
function acquisitionData(record: EvidenceRecord): { [key: string]: EntryValue } {
  return withoutNulls({
    case: record.caseId,
    exhibitNumber: record.exhibitNumber,
    description: record.description,
    source: record.source,
    acquiredAt: record.acquiredAt.toISOString(),
    acquiredBy: record.acquiredBy,
    acquisitionTool: record.acquisitionTool,
    location: record.location,
    sealNumber: record.sealNumber,
    filename: record.originalFilename,
    mediaType: record.mediaType,
    size: record.size,
    sha256: record.sha256,
    sha512: record.sha512,
    md5: record.md5,
    sha1: record.sha1,
    acquisitionHash: record.acquisitionHash ? { ...record.acquisitionHash } : null,
  });
}

function eventData(event: CustodyEvent): { [key: string]: EntryValue } {
  return withoutNulls({
    purpose: event.purpose,
    location: event.location ?? null,
    counterparty: event.counterparty
      ? withoutNulls({ agency: event.counterparty.agency, sub: event.counterparty.sub ?? null })
      : null,
    sealNumber: event.sealNumber ?? null,
    sealCondition: event.sealCondition ?? null,
    authorityRef: event.authorityRef ?? null,
    notes: event.notes ?? null,
  });
}

/** Entries leave out absent facts rather than spell them null. */
function withoutNulls(values: { [key: string]: EntryValue }): { [key: string]: EntryValue } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null));
}
