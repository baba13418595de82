import { expect } from 'chai';
import {
  executionStanding,
  type MatterParty,
  relationProblems,
  type TermedOrder,
} from '../../src/orders/matter';

const DAY = 86_400_000;
const NOW = new Date('2028-02-01T09:00:00.000Z');
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

const party = (
  kind: MatterParty['kind'],
  direction: MatterParty['direction'],
  states: Partial<MatterParty> = {},
) => ({
  kind,
  direction,
  requestingState: null,
  requestedState: null,
  ...states,
});

const incomingPreservation = party('preservation', 'incoming', {
  requestingState: 'DE',
  requestedState: 'AZ',
});

describe('which order may follow which in one matter (UN 42(1), 43, 44(1); Bud 29-31)', () => {
  it('when the same state’s MLA request follows its preservation request, then the relation holds; from another state it does not', () => {
    const mla = party('mla', 'incoming', { requestingState: 'DE' });
    expect(relationProblems(incomingPreservation, mla, 'follows')).to.deep.equal([]);
    expect(
      relationProblems(incomingPreservation, { ...mla, requestingState: 'FR' }, 'follows'),
    ).to.deep.equal([{ pointer: '/requestingState', reason: 'other_requesting_state' }]);
  });

  it('when a domestic order executes an incoming request, then it holds as `executes` only, and the problem lists what would fit', () => {
    const domestic = party('preservation', 'domestic');
    expect(relationProblems(incomingPreservation, domestic, 'executes')).to.deep.equal([]);
    expect(relationProblems(incomingPreservation, domestic, 'follows')).to.deep.equal([
      { pointer: '/relation', reason: 'relation_not_plausible', allowed: ['executes'] },
    ]);
    expect(
      relationProblems(party('mla', 'incoming'), party('production', 'domestic'), 'executes'),
    ).to.deep.equal([]);
    expect(relationProblems(incomingPreservation, party('production', 'domestic'), 'executes')[0]).to.include(
      {
        reason: 'relation_not_plausible',
      },
    );
  });

  it('when our request to another state follows an incoming request, then it must go to a third state, named', () => {
    const onward = party('mla', 'outgoing', { requestingState: 'AZ', requestedState: 'NL' });
    expect(relationProblems(incomingPreservation, onward, 'onward_request')).to.deep.equal([]);
    expect(
      relationProblems(incomingPreservation, { ...onward, requestedState: 'DE' }, 'onward_request'),
    ).to.deep.equal([{ pointer: '/requestedState', reason: 'not_a_third_state' }]);
    expect(
      relationProblems(incomingPreservation, { ...onward, requestedState: null }, 'onward_request'),
    ).to.deep.equal([{ pointer: '/requestedState', reason: 'required_for_onward_request' }]);
  });

  it('when an incoming request would follow our own outgoing one, then no relation fits', () => {
    const outgoing = party('preservation', 'outgoing', { requestedState: 'NL' });
    for (const relation of ['follows', 'executes', 'onward_request'] as const)
      expect(relationProblems(outgoing, party('mla', 'incoming'), relation)[0]).to.deep.include({
        reason: 'relation_not_plausible',
        allowed: [],
      });
  });
});

describe('where the domestic execution of an international preservation stands (UN 25(2) with 42(4); Bud 16(2) with 29(3))', () => {
  const international = (
    status: string,
    deadlineAt: Date | null = at(60),
    lapseRecorded = false,
  ): TermedOrder => ({
    id: 'intl',
    kind: 'preservation',
    direction: 'incoming',
    status,
    deadlineAt,
    lapseRecorded,
  });
  const domestic = (status: string, deadlineAt: Date | null, id = 'dom'): TermedOrder => ({
    id,
    kind: 'preservation',
    direction: 'domestic',
    status,
    deadlineAt,
    lapseRecorded: false,
  });

  it('when no data are held, then there is nothing to execute', () => {
    for (const status of ['received', 'under_assessment', 'withdrawn', 'lifted', 'produced'])
      expect(executionStanding(international(status), [], NOW)).to.deep.equal({ standing: 'none' });
  });

  it('when data are held and no executing order is made yet, then it is unexecuted; once one was made and none is in force, lapsed', () => {
    expect(executionStanding(international('preserved'), [], NOW).standing).to.equal('unexecuted');
    expect(
      executionStanding(international('preserved'), [domestic('under_assessment', null)], NOW).standing,
    ).to.equal('unexecuted');
    expect(executionStanding(international('preserved'), [domestic('expired', null)], NOW).standing).to.equal(
      'lapsed',
    );
    // A term that has passed, swept or not, is no term in force.
    expect(
      executionStanding(international('preserved'), [domestic('preserved', at(-1))], NOW).standing,
    ).to.equal('lapsed');
  });

  it('when the term in force outlasts the request’s floor, then it is in force; when it ends first, or the hold has no end, renewal is needed by the latest term', () => {
    expect(
      executionStanding(international('preserved', at(60)), [domestic('preserved', at(90))], NOW),
    ).to.deep.equal({
      standing: 'in_force',
      renewBy: at(90),
    });
    expect(
      executionStanding(international('extended', at(120)), [domestic('preserved', at(90))], NOW),
    ).to.deep.equal({
      standing: 'renewal_needed',
      renewBy: at(90),
    });
    const twoTerms = [domestic('preserved', at(30), 'a'), domestic('extended', at(150), 'b')];
    expect(executionStanding(international('pending_mla_decision', null), twoTerms, NOW)).to.deep.equal({
      standing: 'renewal_needed',
      renewBy: at(150),
    });
    // The floor is reached: the data stay until a person releases them, so the term must be renewed.
    expect(
      executionStanding(international('preserved', at(-1), true), [domestic('preserved', at(90))], NOW)
        .standing,
    ).to.equal('renewal_needed');
  });
});
