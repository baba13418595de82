import { expect } from 'chai';
import { LedgerError } from '../../src/errors';
import {
  acquiredState,
  applyCustodyEvent,
  CUSTODY_EVENT_TYPES,
  type CustodyActor,
  type CustodyEvent,
  type CustodyState,
  custodyAction,
} from '../../src/evidence/custody';

const alice: CustodyActor = { sub: 'alice', agency: 'AZ-SSS' };
const bob: CustodyActor = { sub: 'bob', agency: 'AZ-SSS' };
const lab: CustodyActor = { sub: 'lab-1', agency: 'AZ-LAB' };
const start = acquiredState({ agency: 'AZ-SSS', sub: 'alice' }, null);

function apply(
  state: CustodyState,
  event: Partial<CustodyEvent> & Pick<CustodyEvent, 'type'>,
  actor: CustodyActor,
) {
  return applyCustodyEvent(state, { purpose: 'test', ...event }, actor);
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof LedgerError) return error.code;
    throw error;
  }
  return 'allowed';
}

describe('custody rules', () => {
  it('when the holder transfers to another agency, then the item is in transit until that agency receives it', () => {
    const sent = apply(start, { type: 'custody.transferred', counterparty: { agency: 'AZ-LAB' } }, alice);
    expect(sent).to.deep.include({ status: 'in_transit', transferTo: { agency: 'AZ-LAB', sub: null } });
    expect(codeOf(() => apply(sent, { type: 'custody.received' }, bob))).to.equal(
      'CUSTODY_TRANSITION_INVALID',
    );
    const received = apply(sent, { type: 'custody.received' }, lab);
    expect(received).to.deep.include({
      status: 'in_custody',
      holder: { agency: 'AZ-LAB', sub: 'lab-1' },
      transferTo: null,
    });
  });

  it('when a transfer names a person, then only that person can receive it', () => {
    const sent = apply(
      start,
      { type: 'custody.transferred', counterparty: { agency: 'AZ-LAB', sub: 'lab-2' } },
      alice,
    );
    expect(codeOf(() => apply(sent, { type: 'custody.received' }, lab))).to.equal(
      'CUSTODY_TRANSITION_INVALID',
    );
  });

  it('when anyone but the holder transfers, releases or disposes, then it is refused', () => {
    for (const type of ['custody.transferred', 'custody.released', 'custody.disposed'] as const) {
      const event = { type, counterparty: { agency: 'AZ-LAB' }, authorityRef: 'order 1' };
      expect(
        codeOf(() => apply(start, event, bob)),
        type,
      ).to.equal('CUSTODY_TRANSITION_INVALID');
    }
  });

  it('when an event lacks what its type needs, then VALIDATION_FAILED', () => {
    expect(codeOf(() => apply(start, { type: 'custody.transferred' }, alice))).to.equal('VALIDATION_FAILED');
    expect(codeOf(() => apply(start, { type: 'custody.sealed' }, alice))).to.equal('VALIDATION_FAILED');
    expect(codeOf(() => apply(start, { type: 'custody.disposed' }, alice))).to.equal('VALIDATION_FAILED');
  });

  it('when an item is on hold, then it can be neither released nor disposed of until the hold is lifted', () => {
    const held = apply(start, { type: 'hold.set' }, alice);
    expect(codeOf(() => apply(held, { type: 'hold.set' }, alice))).to.equal('CUSTODY_TRANSITION_INVALID');
    expect(codeOf(() => apply(held, { type: 'custody.released' }, alice))).to.equal(
      'CUSTODY_TRANSITION_INVALID',
    );
    expect(codeOf(() => apply(held, { type: 'custody.disposed', authorityRef: 'x' }, alice))).to.equal(
      'CUSTODY_TRANSITION_INVALID',
    );
    const lifted = apply(held, { type: 'hold.lifted' }, alice);
    expect(apply(lifted, { type: 'custody.disposed', authorityRef: 'x' }, alice).status).to.equal('disposed');
  });

  it('when an item was released or disposed of, then every further event is CUSTODY_CLOSED', () => {
    const released = apply(start, { type: 'custody.released' }, alice);
    const disposed = apply(start, { type: 'custody.disposed', authorityRef: 'x' }, alice);
    for (const closed of [released, disposed]) {
      for (const type of CUSTODY_EVENT_TYPES) {
        const event = { type, counterparty: { agency: 'AZ-LAB' }, sealNumber: 'S', authorityRef: 'x' };
        expect(
          codeOf(() => apply(closed, event, alice)),
          `${closed.status} ${type}`,
        ).to.equal('CUSTODY_CLOSED');
      }
    }
  });

  it('when seals are recorded, then an unseal must name the seal on the item', () => {
    const sealed = apply(start, { type: 'custody.sealed', sealNumber: 'S-9' }, bob);
    expect(sealed).to.deep.include({ sealed: true, sealNumber: 'S-9' });
    expect(codeOf(() => apply(sealed, { type: 'custody.sealed', sealNumber: 'S-10' }, bob))).to.equal(
      'CUSTODY_TRANSITION_INVALID',
    );
    expect(codeOf(() => apply(sealed, { type: 'custody.unsealed', sealNumber: 'S-1' }, bob))).to.equal(
      'CUSTODY_TRANSITION_INVALID',
    );
    expect(apply(sealed, { type: 'custody.unsealed', sealNumber: 'S-9' }, bob).sealed).to.equal(false);
  });

  it('when an event is mapped to its permission, then receipts, holds and handling are told apart', () => {
    expect(custodyAction('custody.received')).to.equal('evidence.receive');
    expect(custodyAction('hold.set')).to.equal('evidence.hold');
    expect(custodyAction('hold.lifted')).to.equal('evidence.hold');
    for (const type of CUSTODY_EVENT_TYPES.filter(
      (t) => t !== 'custody.received' && !t.startsWith('hold.'),
    )) {
      expect(custodyAction(type), type).to.equal('evidence.handle');
    }
  });
});
