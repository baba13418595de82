import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CASE_PERMISSIONS, type CaseAction, type CaseStanding, caseRole } from '../access/permissions';
import type { Principal, Role } from '../access/roles';
import type { AccessibleCase, CaseRepository } from '../db/case.repository';
import {
  DuplicateExhibitError,
  type EvidenceRecord,
  type EvidenceRepository,
} from '../db/evidence.repository';
import type { LogRepository } from '../db/log.repository';
import { ConflictError, LedgerError, NotFoundError } from '../errors';
import type { Actor, EntryValue, LogEntry } from '../ledger';
import type { CustodyLog, Receipted } from '../log/custody-log';
import { type DomainWriter, domainWrite } from '../log/domain-write';
import { entryView } from '../log/log-reader';
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

/** An item as one caller may use it: the item and where the caller stands towards it. */
export interface AccessibleItem {
  readonly item: EvidenceRecord;
  readonly standing: CaseStanding;
}

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
        // Under the content-address locks: the bytes are still there (no clean-up raced us).
        for (const record of records) {
          if (!(await this.blobs.exists(record.sha256)))
            throw new Error('stored bytes vanished before commit');
        }
      },
    };
    this.custodyWriter = {
      writeAll: async (tx, changes) => {
        for (const change of changes) {
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
    return { item: found.item, standing };
  }

  /** The item, if the caller may read it (see `access`). */
  async get(principal: Principal, id: string, action: CaseAction = 'case.read'): Promise<AccessibleItem> {
    const found = await this.access(principal, id);
    caseRole(found.standing, action);
    return found;
  }

  /** An item by id with no scope check: only for callers holding another entitlement (a disclosure). */
  async findDisclosed(id: string): Promise<EvidenceRecord> {
    const found = await this.evidence.find(id);
    if (!found) throw new NotFoundError('evidence');
    return found;
  }

  /** Every entry of the item's chain, in order, with its log index and leaf hash. */
  async chain(principal: Principal, id: string) {
    const { item } = await this.get(principal, id);
    return (await this.entries.chain('evidence', item.id)).map(entryView);
  }

  /** Index and leaf hash of the item's latest entry. */
  async chainHead(id: string): Promise<{ seq: number; index: number; leafHash: string } | null> {
    const last = await this.entries.chainHead('evidence', id);
    return last
      ? { seq: last.seq, index: last.index, leafHash: Buffer.from(last.leafHash).toString('base64') }
      : null;
  }

  /** Records a custody event on the item's chain; the state rules apply inside the log batch. */
  async recordEvent(principal: Principal, id: string, event: CustodyEvent): Promise<Receipted<LogEntry>> {
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
    return { value: appended.entry, receipt };
  }

  /**
   * Opens the bytes of an item (as `access` returned it to this principal), for
   * members whose grant opens them. The access (who, which range) is logged
   * before the first byte is returned; if logging fails, nothing is sent.
   */
  async openContent(
    principal: Principal,
    { item, standing }: AccessibleItem,
    range: ByteRange | undefined,
  ): Promise<{ stream: Readable; receipt: string }> {
    const role = caseRole(standing, 'evidence.content');
    const { receipt } = await this.log.record({
      subject: { type: 'evidence', id: item.id },
      type: 'evidence.accessed',
      actor: { sub: principal.sub, agency: principal.agency, role },
      data: {
        range: range ? { start: range.start, end: range.end } : null,
        bytes: range ? range.end - range.start + 1 : item.size,
      },
    });
    return { stream: this.blobs.read(item.sha256, range), receipt };
  }

  /**
   * Re-hashes the stored bytes now and records `integrity.verified` or
   * `integrity.failed` with what was found.
   */
  async checkFixity(principal: Principal, id: string): Promise<Receipted<LogEntry> & { intact: boolean }> {
    const { item, standing } = await this.access(principal, id);
    const role = caseRole(standing, 'evidence.handle');
    return this.recordFixity(item, { sub: principal.sub, agency: principal.agency, role });
  }

  /** The scheduled sweep's check of one item (no principal: the service itself acts). */
  async sweepFixity(id: string): Promise<{ intact: boolean } | undefined> {
    const item = await this.evidence.find(id);
    return item && this.recordFixity(item, FIXITY_SWEEPER);
  }

  /** Ids of items after `after` in id order: the sweep walks the store in pages. */
  idsAfter(after: string | null, limit: number): Promise<string[]> {
    return this.evidence.idsAfter(after, limit);
  }

  private async recordFixity(
    item: EvidenceRecord,
    actor: Actor,
  ): Promise<Receipted<LogEntry> & { intact: boolean }> {
    const { intact, ...found } = await this.rehash(item);
    const { appended, receipt } = await this.log.record({
      subject: { type: 'evidence', id: item.id },
      type: intact ? 'integrity.verified' : 'integrity.failed',
      actor,
      data: { sha256: found.sha256, sha512: found.sha512, size: found.size, method: 'rehash' },
    });
    return { value: appended.entry, receipt, intact };
  }

  /** Re-hashes the stored bytes of an item now; missing bytes hash to empty strings (not intact). */
  async rehash(
    item: EvidenceRecord,
  ): Promise<{ intact: boolean; sha256: string; sha512: string; size: number }> {
    const found = await this.digestStored(item);
    return {
      ...found,
      intact: found.sha256 === item.sha256 && found.sha512 === item.sha512 && found.size === item.size,
    };
  }

  private async digestStored(
    item: EvidenceRecord,
  ): Promise<{ sha256: string; sha512: string; size: number }> {
    const digester = Digester.create(['sha256', 'sha512']);
    try {
      for await (const chunk of this.blobs.read(item.sha256)) await digester.update(chunk as Buffer);
      const digests = await digester.finish();
      return { sha256: digests.sha256, sha512: digests.sha512 as string, size: digester.bytes };
    } catch (error) {
      await digester.destroy();
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { sha256: '', sha512: '', size: 0 };
      throw error;
    }
  }
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
