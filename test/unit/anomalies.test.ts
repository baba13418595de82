import { expect } from 'chai';
import type { LogEntry } from '../../src/ledger';
import { withholdEntryParts } from '../../src/log/entry-policy';
import { findAnomalies } from '../../src/reports/anomalies';

const HOUR = 3_600_000;

function chain(...steps: Array<[type: string, hoursAfterStart: number]>): LogEntry[] {
  const start = Date.parse('2026-11-01T08:00:00.000Z');
  return steps.map(([type, hours], i) => ({
    v: 1,
    log: 'test.example/custody',
    subject: { type: 'evidence', id: '00000000-0000-4000-8000-000000000001' },
    seq: i + 1,
    prev: i === 0 ? null : 'AAAA',
    type,
    at: new Date(start + hours * HOUR).toISOString(),
    actor: { sub: 'a', agency: 'AZ-SSS', role: 'custodian' },
    data: {},
  }));
}

describe('custody anomalies', () => {
  const now = new Date('2026-11-10T08:00:00.000Z');

  it('when a chain is in order, then there is no anomaly', () => {
    const clean = chain(
      ['evidence.acquired', 0],
      ['custody.transferred', 1],
      ['custody.received', 3],
      ['custody.sealed', 4],
    );
    expect(findAnomalies(clean, 24 * HOUR, now)).to.deep.equal([]);
  });

  it('when a transfer is never acknowledged, then it is flagged, and so is the time without a holder since', () => {
    const open = chain(['evidence.acquired', 0], ['custody.transferred', 1]);
    expect(findAnomalies(open, 24 * HOUR, now).map((a) => [a.kind, a.seq])).to.deep.equal([
      ['transfer_unacknowledged', 2],
      ['holder_gap', 2],
    ]);
  });

  it('when an item spends longer in transit than allowed, then the gap is flagged at the transfer', () => {
    const slow = chain(['evidence.acquired', 0], ['custody.transferred', 1], ['custody.received', 50]);
    const [anomaly] = findAnomalies(slow, 24 * HOUR, now);
    expect(anomaly).to.deep.include({ kind: 'holder_gap', seq: 2 });
    expect(findAnomalies(slow, 72 * HOUR, now)).to.deep.equal([]);
  });

  it('when integrity fails or the item is handled after disposal, then each is flagged; reading the record is not', () => {
    const bad = chain(
      ['evidence.acquired', 0],
      ['integrity.failed', 2],
      ['custody.disposed', 3],
      ['report.issued', 4],
      ['custody.analysed', 5],
    );
    expect(findAnomalies(bad, 24 * HOUR, now).map((a) => [a.kind, a.seq])).to.deep.equal([
      ['integrity_failed', 2],
      ['event_after_disposal', 5],
    ]);
  });

  it('when version 2 entries withhold their facts, then anomalies are found from the public fields alone and name nothing withheld', () => {
    const actor = { sub: 'alice-1', agency: 'AZ-SSS', role: 'custodian' };
    const v2 = chain(['evidence.acquired', 0], ['integrity.failed', 2], ['custody.transferred', 3]).map(
      (entry): LogEntry => {
        const data: { [key: string]: string } =
          entry.type === 'integrity.failed'
            ? { reason: 'content_missing', method: 'rehash' }
            : { purpose: 'Informant KESTREL', notes: 'Informant KESTREL' };
        const parts = withholdEntryParts(entry.type, actor, data);
        return { ...entry, v: 2, actor: parts.actor, data: parts.data };
      },
    );
    const found = findAnomalies(v2, 24 * HOUR, now);
    expect(found.map((a) => [a.kind, a.seq])).to.deep.equal([
      ['integrity_failed', 2],
      ['transfer_unacknowledged', 3],
      ['holder_gap', 3],
    ]);
    expect(found[0]?.detail).to.equal('the stored bytes were missing');
    expect(JSON.stringify(found)).not.to.match(/KESTREL|alice-1/);
  });
});
