import { expect } from 'chai';
import { DEFAULT_PERIODS, deadlineOf, enforcingWindow, type OrderTimeline } from '../../src/orders/deadlines';
import { canonicalTimeZone, checkEventTime, statedEventTime } from '../../src/orders/event-time';
import { localTimes } from '../../src/orders/local-time';

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

const epoc = (receivedAt: string, overrides: Partial<OrderTimeline> = {}) =>
  timeline({
    kind: 'epoc',
    status: 'received',
    receivedAt: new Date(receivedAt),
    timeZone: 'Europe/Berlin',
    ...overrides,
  });

const at = (deadline: { at: Date | null } | null) => deadline?.at?.toISOString();

describe('order deadlines: time as the law counts it (known answers)', () => {
  describe('calendar days in the source zone (UN Art. 42; Budapest Art. 29(7))', () => {
    it('when a Berlin preservation runs across the spring change to summer time, then it ends at the same local hour, one hour earlier in UTC', () => {
      // 1 March 10:00 CET + 60 days = 30 April 10:00 CEST.
      const deadline = deadlineOf(
        timeline({ preservedAt: new Date('2026-03-01T09:00:00.000Z'), timeZone: 'Europe/Berlin' }),
      );
      expect(at(deadline)).to.equal('2026-04-30T08:00:00.000Z');
    });

    it('when a Berlin preservation runs across the autumn change to winter time, then it ends at the same local hour, one hour later in UTC', () => {
      // 1 October 10:00 CEST + 60 days = 30 November 10:00 CET.
      const deadline = deadlineOf(
        timeline({ preservedAt: new Date('2026-10-01T08:00:00.000Z'), timeZone: 'Europe/Berlin' }),
      );
      expect(at(deadline)).to.equal('2026-11-30T09:00:00.000Z');
    });

    it('when no zone is given, then days are counted in UTC, leap day included', () => {
      const deadline = deadlineOf(timeline({ preservedAt: new Date('2028-02-01T09:00:00.000Z') }));
      expect(at(deadline)).to.equal('2028-04-01T09:00:00.000Z');
    });
  });

  describe('EU periods in days (Reg. 1182/71 Art. 3)', () => {
    it('when an EPOC arrives in Berlin the Friday before summer time starts, then its 10 days start the next day and end with the last hour of Monday 30 March, local time', () => {
      const deadline = deadlineOf(epoc('2026-03-20T14:00:00.000Z'));
      expect(deadline?.rule).to.equal('produce_by');
      expect(at(deadline)).to.equal('2026-03-30T22:00:00.000Z');
    });

    it('when an EPOC arrives one minute before local midnight or one minute after, then the day of receipt does not count and the deadline moves by a whole day', () => {
      const before = deadlineOf(epoc('2026-03-03T22:59:00.000Z'));
      const after = deadlineOf(epoc('2026-03-03T23:01:00.000Z'));
      // Tuesday 3 March: 10th day Friday the 13th; Wednesday 4 March: 10th day Saturday the 14th, rolled to Monday.
      expect(at(before)).to.equal('2026-03-13T23:00:00.000Z');
      expect(at(after)).to.equal('2026-03-16T23:00:00.000Z');
    });

    it('when an EPOC-PR’s 60th day is a Saturday, then preservation ends with the last hour of the Monday after (Art. 3(4))', () => {
      // Received Tuesday 6 October 2026 in Berlin; the 60th day is Saturday 5 December, in winter time.
      const deadline = deadlineOf(epoc('2026-10-06T12:00:00.000Z', { kind: 'epoc_pr', status: 'preserved' }));
      expect(deadline?.rule).to.equal('preservation_order_ends');
      expect(at(deadline)).to.equal('2026-12-07T23:00:00.000Z');
    });

    it('when the 10th day is a public holiday of the executing state, then the period ends with the next working day, past the weekend and any further holiday', () => {
      // Received Tuesday 15 December 2026: the 10th day is Friday 25 December.
      const received = '2026-12-15T10:00:00.000Z';
      expect(at(deadlineOf(epoc(received)))).to.equal('2026-12-25T23:00:00.000Z');
      const holidays = { ...DEFAULT_PERIODS, publicHolidays: ['2026-12-25'] };
      expect(at(deadlineOf(epoc(received), holidays))).to.equal('2026-12-28T23:00:00.000Z');
      const more = { ...DEFAULT_PERIODS, publicHolidays: ['2026-12-25', '2026-12-28'] };
      expect(at(deadlineOf(epoc(received), more))).to.equal('2026-12-29T23:00:00.000Z');
    });

    it('when a period of two days would hold fewer than two working days, then it is extended until it does (Art. 3(5))', () => {
      const twoDays = { ...DEFAULT_PERIODS, epocDays: 2 };
      // Thursday: Friday and Saturday, rolled to Monday: Friday and Monday are the two working days.
      expect(at(deadlineOf(epoc('2026-03-05T10:00:00.000Z'), twoDays))).to.equal('2026-03-09T23:00:00.000Z');
      // The same with Friday a holiday: Monday is one working day, Tuesday the second.
      const holiday = { ...twoDays, publicHolidays: ['2026-03-06'] };
      expect(at(deadlineOf(epoc('2026-03-05T10:00:00.000Z'), holiday))).to.equal('2026-03-10T23:00:00.000Z');
    });

    it('when the enforcing authority’s 10-day window runs over a leap day, then it ends with the last hour of 29 February', () => {
      // Received Saturday 19 February 2028: the 10th day is Tuesday 29 February.
      const window = enforcingWindow(epoc('2028-02-19T10:00:00.000Z'));
      expect(at(window)).to.equal('2028-02-29T23:00:00.000Z');
    });

    it('when a period is in hours, then it is exact hours across the change to summer time and whatever the weekday', () => {
      // Sunday 29 March 2026, 00:30 CET: 8 hours later is 09:30 CEST.
      const emergency = deadlineOf(epoc('2026-03-28T23:30:00.000Z', { urgency: 'emergency' }));
      expect(at(emergency)).to.equal('2026-03-29T07:30:00.000Z');
      const window = enforcingWindow(epoc('2026-03-28T23:30:00.000Z', { urgency: 'emergency' }));
      expect(at(window)).to.equal('2026-04-01T23:30:00.000Z');
    });
  });
});

describe('time zones and stated event times', () => {
  it('when zones are named, then IANA names are accepted in their canonical spelling and anything else is not a zone', () => {
    expect(canonicalTimeZone('Europe/Berlin')).to.equal('Europe/Berlin');
    expect(canonicalTimeZone('asia/baku')).to.equal('Asia/Baku');
    expect(canonicalTimeZone('UTC')).to.equal('UTC');
    for (const name of ['Europe/Atlantis', '+04:00', '', 'Berlin time', '../etc/passwd'])
      expect(canonicalTimeZone(name), name).to.equal(undefined);
  });

  it('when a deadline is shown locally, then each zone once, with its offset at that instant', () => {
    const deadline = new Date('2026-12-07T23:00:00.000Z');
    expect(localTimes(deadline, ['Asia/Baku', 'Europe/Berlin', 'Asia/Baku'])).to.deep.equal([
      { zone: 'Asia/Baku', at: '2026-12-08T03:00:00+04:00' },
      { zone: 'Europe/Berlin', at: '2026-12-08T00:00:00+01:00' },
    ]);
    expect(localTimes(null, ['Asia/Baku'])).to.deep.equal([]);
  });

  it('when an event time is stated, then it may not lie after now, more than 30 days before it, or before the receipt', () => {
    const now = new Date('2026-11-29T12:00:00.000Z');
    const reasonOf = (stated: string, notBefore?: Date) => {
      try {
        checkEventTime(new Date(stated), now, '/receivedAt', notBefore);
        return 'accepted';
      } catch (error) {
        return (error as { fields: Array<{ reason: string }> }).fields[0]?.reason;
      }
    };
    expect(reasonOf('2026-11-29T12:00:00.000Z')).to.equal('accepted');
    expect(reasonOf('2026-11-29T12:00:00.001Z')).to.equal('in_the_future');
    expect(reasonOf('2026-10-30T12:00:00.000Z')).to.equal('accepted');
    expect(reasonOf('2026-10-30T11:59:59.999Z')).to.equal('too_far_in_the_past');
    expect(reasonOf('2026-11-20T00:00:00.000Z', new Date('2026-11-21T00:00:00.000Z'))).to.equal(
      'before_receipt',
    );
  });

  it('when a stated time comes without its source or reason, then each missing one is named', () => {
    expect(statedEventTime('receivedAt', {})).to.equal(undefined);
    try {
      statedEventTime('receivedAt', { at: '2026-11-29T10:00:00Z' });
      expect.fail('accepted a time without source and reason');
    } catch (error) {
      expect((error as { code: string }).code).to.equal('VALIDATION_FAILED');
      expect((error as { fields: unknown }).fields).to.deep.equal([
        { pointer: '/receivedAtSource', reason: 'stated_together' },
        { pointer: '/receivedAtReason', reason: 'stated_together' },
      ]);
    }
  });
});
