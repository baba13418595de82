import { expect } from 'chai';
import fc from 'fast-check';
import { LedgerError } from '../../src/errors';
import { ART_42_CONTENTS, type Art42Element, missingArt42Contents } from '../../src/orders/contents';
import { DEFAULT_PERIODS, deadlineOf, hasLapsed, type OrderTimeline } from '../../src/orders/deadlines';
import {
  DIRECTIONS,
  type Direction,
  initialState,
  isFinal,
  nextStates,
  ORDER_KINDS,
  type OrderKind,
  OrderTransitionError,
  statesOf,
  transition,
} from '../../src/orders/lifecycle';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** States from which `closed` can be reached (a backwards search over the table). */
function canClose(kind: OrderKind, direction: Direction): Set<string> {
  const reach = new Set(['closed']);
  for (let grew = true; grew; ) {
    grew = false;
    for (const state of statesOf(kind, direction)) {
      if (!reach.has(state) && nextStates(kind, direction, state).some((next) => reach.has(next))) {
        reach.add(state);
        grew = true;
      }
    }
  }
  return reach;
}

describe('order lifecycles (properties)', () => {
  for (const kind of ORDER_KINDS) {
    for (const direction of DIRECTIONS) {
      it(`when the ${direction} ${kind} table is read, then every target is a state, it starts at a state, and every state can reach closed`, () => {
        const states = new Set(statesOf(kind, direction));
        expect(states.has(initialState(kind))).to.equal(true);
        for (const state of states)
          for (const next of nextStates(kind, direction, state))
            expect(states.has(next), `${state}->${next}`).to.equal(true);
        expect([...canClose(kind, direction)].sort()).to.deep.equal([...states].sort());
        expect(statesOf(kind, direction).filter((state) => isFinal(kind, direction, state))).to.deep.equal([
          'closed',
        ]);
      });
    }
  }

  it('when random moves are tried from any reachable state, then exactly the table’s moves succeed and the rest are ORDER_TRANSITION_INVALID', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ORDER_KINDS),
        fc.constantFrom(...DIRECTIONS),
        fc.array(fc.nat(), { minLength: 1, maxLength: 60 }),
        (kind, direction, choices) => {
          const all = [...statesOf(kind, direction), 'nonsense', ''];
          let state = initialState(kind);
          for (const choice of choices) {
            const target = all[choice % all.length] as string;
            const allowed = nextStates(kind, direction, state).includes(target);
            try {
              state = transition(kind, direction, state, target);
              expect(allowed, `${kind}: ${state} accepted ${target}`).to.equal(true);
            } catch (error) {
              expect(allowed).to.equal(false);
              expect(error).to.be.instanceOf(OrderTransitionError);
              expect((error as LedgerError).code).to.equal('ORDER_TRANSITION_INVALID');
              expect(error).to.include({ from: state, to: target });
            }
            expect(statesOf(kind, direction)).to.include(state);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Instants from 1970 to 2100: leap years, century rules, every hour of the day. */
const instant = fc.date({ min: new Date(0), max: new Date('2100-12-31T23:59:59.999Z'), noInvalidDate: true });

function timeline(overrides: Partial<OrderTimeline>): OrderTimeline {
  return {
    kind: 'preservation',
    direction: 'incoming',
    status: 'preserved',
    channel: 'central_authority',
    urgency: 'normal',
    receivedAt: new Date('2026-11-28T10:00:00.000Z'),
    preservedAt: null,
    extensions: 0,
    heldUntilDecided: false,
    requestedBy: null,
    enforcingNotified: false,
    ...overrides,
  };
}

/**
 * The end of an EU period of `days` days from `event` in UTC with no public
 * holidays, as Reg. 1182/71 Art. 3 reads, checked independently of the
 * implementation: the first instant of the day after the last day, that last
 * day at least `days` days after the event's day, a working day, and with
 * only weekend days between the `days`-th day and it.
 */
function expectEuPeriodEnd(event: Date, days: number, end: Date): void {
  expect(end.getTime() % DAY, 'ends at midnight').to.equal(0);
  const eventDay = Math.floor(event.getTime() / DAY) * DAY;
  const nominalLast = eventDay + days * DAY;
  const last = end.getTime() - DAY;
  expect(last).to.be.at.least(nominalLast);
  const weekday = (at: number) => new Date(at).getUTCDay();
  expect([0, 6], 'ends on a working day').to.not.include(weekday(last));
  for (let day = nominalLast; day < last; day += DAY) expect([0, 6]).to.include(weekday(day));
}

describe('order deadlines (properties)', () => {
  it('when data are preserved for a foreign request, then they are kept at least 60 days per granted period, exactly', () => {
    fc.assert(
      fc.property(
        instant,
        fc.integer({ min: 0, max: 5 }),
        fc.constantFrom('incoming', 'outgoing') as fc.Arbitrary<'incoming' | 'outgoing'>,
        (at, extensions, direction) => {
          const deadline = deadlineOf(timeline({ direction, preservedAt: at, extensions }));
          expect(deadline?.rule).to.equal('preserve_at_least_until');
          expect((deadline?.at?.getTime() ?? 0) - at.getTime()).to.equal(60 * DAY * (1 + extensions));
        },
      ),
    );
  });

  it('when a domestic order preserves data, then each order lasts at most 90 days and renewals add 90 each', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 5 }), (at, renewals) => {
        const deadline = deadlineOf(
          timeline({ direction: 'domestic', preservedAt: at, extensions: renewals }),
        );
        expect(deadline?.rule).to.equal('preservation_order_ends');
        expect((deadline?.at?.getTime() ?? 0) - at.getTime()).to.equal(90 * DAY * (1 + renewals));
      }),
    );
  });

  it('when an MLA request is pending or EPOC-PR production is confirmed, then the data are kept until decided and never lapse', () => {
    fc.assert(
      fc.property(
        instant,
        instant,
        fc.constantFrom('preservation', 'epoc_pr') as fc.Arbitrary<OrderKind>,
        (at, now, kind) => {
          const deadline = deadlineOf(
            timeline({ kind, preservedAt: at, heldUntilDecided: true, extensions: 3 }),
          );
          expect(deadline).to.deep.equal({ rule: 'preserve_until_decided', at: null });
          expect(hasLapsed(deadline, now)).to.equal(false);
        },
      ),
    );
  });

  it('when an EPOC arrives, then production is due at the end of the 10th day after receipt, on a working day (Reg. 1182/71 Art. 3), or in 8 hours in an emergency', () => {
    fc.assert(
      fc.property(instant, fc.boolean(), (at, emergency) => {
        const deadline = deadlineOf(
          timeline({
            kind: 'epoc',
            status: 'received',
            receivedAt: at,
            urgency: emergency ? 'emergency' : 'normal',
          }),
        );
        expect(deadline?.rule).to.equal('produce_by');
        if (emergency) expect((deadline?.at?.getTime() ?? 0) - at.getTime()).to.equal(8 * HOUR);
        else expectEuPeriodEnd(at, 10, deadline?.at as Date);
      }),
    );
  });

  it('when an EPOC-PR is extended, then it gains 30 days once, however often extension is recorded, counted from receipt whenever the data were preserved', () => {
    fc.assert(
      fc.property(instant, instant, fc.integer({ min: 0, max: 4 }), (received, preserved, extensions) => {
        const deadline = deadlineOf(
          timeline({ kind: 'epoc_pr', receivedAt: received, preservedAt: preserved, extensions }),
        );
        expectEuPeriodEnd(received, extensions > 0 ? 90 : 60, deadline?.at as Date);
      }),
    );
  });

  it('when the same instant is written with another UTC offset, then the deadline is the same instant', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -12 * 60, max: 14 * 60 }), (at, offsetMinutes) => {
        const local = new Date(at.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 23);
        const sign = offsetMinutes < 0 ? '-' : '+';
        const abs = Math.abs(offsetMinutes);
        const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
        const reparsed = new Date(`${local}${offset}`);
        expect(reparsed.getTime()).to.equal(at.getTime());
        expect(deadlineOf(timeline({ preservedAt: reparsed }))?.at?.getTime()).to.equal(
          deadlineOf(timeline({ preservedAt: at }))?.at?.getTime(),
        );
      }),
    );
  });

  it('when a deadline is reached, then it has lapsed at that instant and not a millisecond before', () => {
    fc.assert(
      fc.property(instant, (at) => {
        const deadline = deadlineOf(timeline({ kind: 'epoc', receivedAt: at }));
        const due = deadline?.at as Date;
        expect(hasLapsed(deadline, due)).to.equal(true);
        expect(hasLapsed(deadline, new Date(due.getTime() - 1))).to.equal(false);
      }),
    );
  });

  it('when periods cross a leap day, then the known dates come out (2028-02-01 + 60 days is 2028-04-01)', () => {
    const leap = deadlineOf(timeline({ preservedAt: new Date('2028-02-01T09:00:00.000Z') }));
    expect(leap?.at?.toISOString()).to.equal('2028-04-01T09:00:00.000Z');
    const common = deadlineOf(timeline({ preservedAt: new Date('2027-02-01T09:00:00.000Z') }));
    expect(common?.at?.toISOString()).to.equal('2027-04-02T09:00:00.000Z');
    const baku = deadlineOf(
      timeline({
        kind: 'epoc',
        status: 'received',
        urgency: 'emergency',
        receivedAt: new Date('2026-12-31T22:30:00+04:00'),
      }),
    );
    expect(baku?.at?.toISOString()).to.equal('2027-01-01T02:30:00.000Z');
    expect(DEFAULT_PERIODS.internationalPreservationDays).to.equal(60);
  });

  it('when configured periods differ, then they are used instead of the defaults', () => {
    const at = new Date('2026-01-01T00:00:00.000Z');
    const deadline = deadlineOf(timeline({ direction: 'domestic', preservedAt: at }), {
      ...DEFAULT_PERIODS,
      domesticPreservationDays: 30,
    });
    expect(deadline?.at?.toISOString()).to.equal('2026-01-31T00:00:00.000Z');
  });
});

describe('Art. 42 request contents (properties)', () => {
  const complete = {
    requestingAuthority: 'Bundeskriminalamt, SO 43',
    offence: 'Computer fraud (StGB § 263a)',
    factsSummary: 'Phishing kit hosted on a server in Baku',
    dataToPreserve: 'Server logs and account data of host 203.0.113.7, 2026-11-01 to 2026-11-27',
    relationToOffence: 'The server received the phished credentials',
    custodian: 'AzerHost LLC',
    necessity: 'Logs rotate after 14 days',
    intendsMla: true,
    confidential: true,
    noUserNotification: true,
  };

  it('when a request states everything, then nothing is missing', () => {
    expect(missingArt42Contents(complete)).to.deep.equal([]);
  });

  it('when any set of elements is left out or blank, then exactly those are reported', () => {
    const elements = Object.keys(ART_42_CONTENTS) as Art42Element[];
    fc.assert(
      fc.property(fc.subarray(elements), fc.boolean(), (removed, blank) => {
        const request: Record<string, unknown> = { ...complete };
        for (const element of removed) {
          if (blank && typeof request[element] === 'string') request[element] = '   ';
          else delete request[element];
        }
        expect(missingArt42Contents(request).sort()).to.deep.equal([...removed].sort());
      }),
    );
  });

  it('when the custodian is unknown but the system location is given, or the requester does not intend MLA, then the rules of (d) and (f) apply', () => {
    const { custodian: _custodian, ...withoutCustodian } = complete;
    expect(missingArt42Contents({ ...withoutCustodian, systemLocation: 'Data centre, Baku' })).to.deep.equal(
      [],
    );
    expect(missingArt42Contents({ ...complete, intendsMla: false })).to.deep.equal(['intendsMla']);
  });
});
