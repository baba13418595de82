import { expect } from 'chai';
import type { DisclosableFact, DisclosureAudience } from '../../src/access/disclosure-scope';
import type { EvidenceRecord } from '../../src/db/evidence.repository';
import type { EntryDisclosure, EntryValue, LogEntry } from '../../src/ledger';
import { withholdEntryParts } from '../../src/log/entry-policy';
import { type ItemContext, readerEntry, reportContext, reportItem } from '../../src/reports/report-audience';
import { revealed } from '../support/revealed';

const MEMBER: DisclosureAudience = { kind: 'member' };
const recipient = (facts: DisclosableFact[], orderId: string | null = null): DisclosureAudience => ({
  kind: 'recipient',
  agency: 'DE-BKA',
  disclosureId: 'd-1',
  orderId,
  facts,
});

/** A version 2 entry as the service writes it (entry-policy.ts), with the disclosures it stores beside it. */
function written(type: string, data: { [key: string]: EntryValue }, seq = 1) {
  const parts = withholdEntryParts(type, { sub: 'alice-1', agency: 'AZ-DTX', role: 'investigator' }, data);
  const entry: LogEntry = {
    v: 2,
    log: 'test.example/custody',
    subject: { type: 'evidence', id: '00000000-0000-4000-8000-000000000001' },
    seq,
    prev: seq === 1 ? null : 'bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=',
    type,
    at: '2026-11-28T10:15:00.123Z',
    actor: parts.actor,
    data: parts.data,
  };
  const row = { index: seq, leafHash: 'bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=', entry };
  return { row, stored: parts.disclosures };
}

const transfer = () =>
  written('custody.transferred', {
    purpose: 'examination',
    notes: 'Informant KESTREL',
    counterparty: { agency: 'LAB-1' },
  });

const intake = () =>
  written('evidence.acquired', {
    case: 'case-1',
    exhibitNumber: 'EX-7',
    description: 'Phone extraction',
    acquiredAt: '2026-11-20T09:30:00.000Z',
    acquiredBy: 'Sgt. Aliyev',
    filename: 'phone.zip',
    mediaType: 'application/zip',
    size: 30000,
    sha256: 'a'.repeat(64),
    sha512: 'b'.repeat(128),
  });

describe('what a custody report shows its reader', () => {
  describe('entries', () => {
    it('when a member reads an entry, then it gets every disclosure and nothing is withheld', () => {
      const { row, stored } = transfer();
      const view = readerEntry(row, stored, MEMBER);
      expect(view.problem).to.equal(undefined);
      expect(view.withheld).to.deep.equal([]);
      expect(revealed(view).actor.sub).to.equal('alice-1');
      expect(revealed(view).data.notes).to.equal('Informant KESTREL');
    });

    it('when a recipient reads it, then it gets the chosen facts and every other field is named as withheld', () => {
      const { row, stored } = transfer();
      const view = readerEntry(row, stored, recipient(['purpose']));
      expect(revealed(view).data).to.include({ purpose: 'examination' });
      expect(revealed(view).data).not.to.have.any.keys('notes', 'counterparty');
      expect(view.withheld).to.have.members(['actor.sub', 'data.notes', 'data.counterparty']);
    });

    it('when a stored disclosure belongs to another entry, then the entry gives none and says DISCLOSURE_UNMATCHED', () => {
      const { row, stored } = transfer();
      const other = transfer().stored;
      const swapped = stored.map((d, i) =>
        i === 0 ? { ...d, disclosure: (other[0] as EntryDisclosure).disclosure } : d,
      );
      const view = readerEntry(row, swapped, MEMBER);
      expect(view.problem).to.contain('DISCLOSURE_UNMATCHED');
      expect(view.disclosures).to.deep.equal([]);
      expect(view.withheld).to.have.length(stored.length);
    });

    it('when two disclosures are filed under each other’s names, then a recipient of one is not given the other', () => {
      const { row, stored } = transfer();
      const notes = stored.find((d) => d.name === 'notes') as EntryDisclosure;
      const purpose = stored.find((d) => d.name === 'purpose') as EntryDisclosure;
      const misfiled = stored.map((d) =>
        d === notes
          ? { ...d, disclosure: purpose.disclosure }
          : d === purpose
            ? { ...d, disclosure: notes.disclosure }
            : d,
      );
      const view = readerEntry(row, misfiled, recipient(['purpose']));
      expect(view.problem).to.contain('DISCLOSURE_UNMATCHED');
      expect(view.disclosures).to.deep.equal([]);
    });

    it('when a withheld field has no stored disclosure, then the entry says DISCLOSURE_MISSING', () => {
      const { row, stored } = transfer();
      const view = readerEntry(row, stored.slice(1), MEMBER);
      expect(view.problem).to.contain('DISCLOSURE_MISSING');
    });
  });

  describe('the item', () => {
    const record = { id: '00000000-0000-4000-8000-000000000001' } as EvidenceRecord;

    it('when someone outside the case reads it, then it is the intake entry’s public fields, and the rest is named as withheld', () => {
      const { row, stored } = intake();
      const item = reportItem({ kind: 'public' }, record, readerEntry(row, stored, { kind: 'public' }));
      expect(item).to.deep.include({
        id: record.id,
        acquiredAt: '2026-11-20T09:30:00.000Z',
        mediaType: 'application/zip',
        size: 30000,
        digests: { sha256: 'a'.repeat(64), sha512: 'b'.repeat(128), md5: null, sha1: null },
      });
      expect(item).not.to.have.any.keys(
        'caseId',
        'exhibitNumber',
        'description',
        'acquiredBy',
        'originalFilename',
      );
      expect(item.withheld).to.have.members([
        'caseId',
        'exhibitNumber',
        'description',
        'acquiredBy',
        'originalFilename',
        'createdBy',
        'custody',
      ]);
    });

    it('when a recipient was given the exhibit number, then the item shows it and still withholds the rest', () => {
      const { row, stored } = intake();
      const audience = recipient(['exhibitNumber']);
      const item = reportItem(audience, record, readerEntry(row, stored, audience));
      expect(item.exhibitNumber).to.equal('EX-7');
      expect(item.withheld).not.to.include('exhibitNumber');
      expect(item.withheld).to.include.members(['caseId', 'description']);
    });
  });

  describe('the legal frame', () => {
    const context: ItemContext = {
      case: { reference: 'R-1', title: 'Operation Nightjar', agency: 'AZ-DTX', legalBasis: 'CPC 236' },
      orders: [
        {
          id: 'own',
          kind: 'production',
          status: 'produced',
          legalBasis: { instrument: 'MLAT' },
          requestingAuthority: 'BKA',
          safeguards: { confidential: true },
        },
        {
          id: 'other',
          kind: 'preservation',
          status: 'preserved',
          legalBasis: { instrument: 'UNCC' },
          requestingAuthority: 'FBI',
          safeguards: null,
        },
      ],
      breakGlass: [
        {
          sub: 'duty-1',
          agency: 'AZ-DTX',
          role: 'prosecutor',
          at: '2026-11-28T10:00:00.000Z',
          until: '2026-11-28T11:00:00.000Z',
          reason: 'Kidnapping',
        },
      ],
    };

    it('when a member reads it, then it is all there and nothing is withheld', () => {
      const shown = reportContext(MEMBER, context);
      expect(shown.case).to.deep.equal(context.case);
      expect(shown.orders).to.have.length(2);
      expect(shown.breakGlass[0]).to.include({ sub: 'duty-1', reason: 'Kidnapping' });
      expect(shown.withheld).to.deep.equal([]);
    });

    it('when a recipient reads it, then no case, only its own order by its public fields, and break-glass without person or reason', () => {
      const shown = reportContext(recipient([], 'own'), context);
      expect(shown).not.to.have.property('case');
      expect(shown.withheld).to.deep.equal(['case', 'orders']);
      expect(shown.orders).to.deep.equal([
        {
          id: 'own',
          kind: 'production',
          status: 'produced',
          withheld: ['legalBasis', 'requestingAuthority', 'safeguards'],
        },
      ]);
      expect(shown.breakGlass).to.deep.equal([
        {
          agency: 'AZ-DTX',
          role: 'prosecutor',
          at: '2026-11-28T10:00:00.000Z',
          until: '2026-11-28T11:00:00.000Z',
          withheld: ['sub', 'reason'],
        },
      ]);
    });

    it('when someone outside the case without a disclosure reads it, then no order is listed', () => {
      expect(reportContext({ kind: 'public' }, context).orders).to.deep.equal([]);
    });
  });
});
