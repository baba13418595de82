import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import type { Principal } from '../../src/access/roles';
import { CaseRepository } from '../../src/db/case.repository';
import { openDatabase } from '../../src/db/data-source';
import { LogRepository } from '../../src/db/log.repository';
import { OrderRepository } from '../../src/db/order.repository';
import { PrincipalRepository } from '../../src/db/principal.repository';
import { NotFoundError } from '../../src/errors';
import { fromUtf8, noteSigner, parseEntry } from '../../src/ledger';
import { CustodyLog } from '../../src/log/custody-log';
import { Sequencer } from '../../src/log/sequencer';
import { createLogger } from '../../src/logger';
import { DeadlineSweep } from '../../src/orders/deadline-sweep';
import { DEFAULT_PERIODS } from '../../src/orders/deadlines';
import { type OrderInput, OrderService } from '../../src/orders/order-service';
import { withScratchDatabase } from '../support/database';

const DAY = 86_400_000;
const logger = createLogger('silent');

const request: OrderInput = {
  kind: 'preservation',
  direction: 'incoming',
  legalBasis: { instrument: 'UNCC', article: '42' },
  requestingAuthority: 'Bundeskriminalamt',
  channel: '24/7',
  urgency: 'urgent',
  details: {
    offence: 'Computer fraud',
    factsSummary: 'Phishing',
    dataToPreserve: 'Logs of host 203.0.113.7',
    relationToOffence: 'Received the credentials',
    custodian: 'AzerHost LLC',
    necessity: 'Logs rotate',
    intendsMla: true,
  },
  safeguards: { confidential: true, noUserNotification: true },
};

/** The order service on a scratch database, with an injected clock, a partner and a central authority's desk. */
async function withOrders(
  body: (harness: {
    readonly db: DataSource;
    readonly orders: OrderService;
    readonly partner: Principal;
    readonly desk: Principal;
    readonly now: () => Date;
    setClock(at: Date): void;
  }) => Promise<void>,
): Promise<void> {
  await withScratchDatabase(async (url) => {
    const db = await openDatabase(url);
    try {
      let clock = new Date('2028-02-01T09:00:00.000Z');
      const now = () => clock;
      const sequencer = await Sequencer.open(
        db,
        new LogRepository(db),
        noteSigner('test.example/custody', randomBytes(32)),
        { maxBatch: 16, maxQueue: 100, now },
        logger,
      );
      const receiptKey = { kid: 'test', key: generateKeyPairSync('ed25519').privateKey };
      const orders = new OrderService(
        new OrderRepository(db),
        new CaseRepository(db),
        new CustodyLog(sequencer, () => receiptKey),
        {
          evidence: async () => {
            throw new NotFoundError('evidence');
          },
          centralAuthority: 'AZ-SSS',
          periods: DEFAULT_PERIODS,
          now,
        },
      );
      const partner: Principal = { sub: 'bka-1', agency: 'DE-BKA', roles: ['partner'], issuer: 'test' };
      const desk: Principal = { sub: 'desk-1', agency: 'AZ-SSS', roles: ['prosecutor'], issuer: 'test' };
      const principals = new PrincipalRepository(db);
      for (const p of [partner, desk]) await principals.record(p);
      await body({
        db,
        orders,
        partner,
        desk,
        now,
        setClock: (at) => {
          clock = at;
        },
      });
    } finally {
      await db.destroy();
    }
  });
}

describe('the order deadline sweep (injected clock)', () => {
  it('when a preservation period runs out, then the sweep warns ahead, expires it on time as a log entry, and never expires one held for MLA', async () => {
    await withOrders(async ({ db, orders, partner, desk, setClock, now }) => {
      const preserve = async () => {
        const { value } = await orders.submit(partner, request);
        for (const to of ['under_assessment', 'ordered', 'preserved'])
          await orders.transition(desk, value.id, { to });
        return value.id;
      };
      const lapsing = await preserve();
      const held = await preserve();
      await orders.transition(desk, held, { to: 'pending_mla_decision' });

      const sweep = new DeadlineSweep(orders, logger, 2 * DAY, now);
      setClock(new Date(now().getTime() + 59 * DAY));
      expect(await sweep.sweep()).to.deep.equal({ expired: [], warned: [lapsing] });

      setClock(new Date(new Date('2028-02-01T09:00:00.000Z').getTime() + 60 * DAY - 1));
      expect((await sweep.sweep()).expired).to.deep.equal([]);
      setClock(new Date('2028-04-01T09:00:00.000Z')); // 60 days on, across 29 February
      expect(await sweep.sweep()).to.deep.equal({ expired: [lapsing], warned: [] });
      expect((await orders.get(desk, lapsing)).status).to.equal('expired');

      const chain = await new LogRepository(db).chain('order', lapsing);
      const last = parseEntry(JSON.parse(fromUtf8(chain[chain.length - 1]?.leafData ?? new Uint8Array())));
      expect(last).to.deep.include({ type: 'order.transitioned', at: '2028-04-01T09:00:00.000Z' });
      expect(last.data).to.deep.include({
        from: 'preserved',
        to: 'expired',
        reasonCode: 'DEADLINE_PASSED',
      });
      expect(last.actor).to.deep.equal({
        sub: 'service:deadline-sweep',
        agency: 'SYSTEM',
        role: 'prosecutor',
      });

      setClock(new Date('2029-06-01T00:00:00.000Z'));
      expect(await sweep.sweep()).to.deep.equal({ expired: [], warned: [] });
      expect((await orders.get(desk, held)).status).to.equal('pending_mla_decision');
    });
  });

  it('when more orders stay due than a page holds (states that cannot expire), then the sweep still reaches and expires the one behind them', async () => {
    await withOrders(async ({ db, orders, partner, desk, setClock, now }) => {
      const stuck = [];
      for (let i = 0; i < 5; i++) stuck.push((await orders.submit(partner, request)).value.id);
      // Received requests cannot expire; give them the earliest deadlines, so they fill the first pages.
      await db.query(`UPDATE orders SET deadline_at = '2028-01-15T00:00:00Z' WHERE id = ANY($1::uuid[])`, [
        stuck,
      ]);
      const { value } = await orders.submit(partner, request);
      for (const to of ['under_assessment', 'ordered', 'preserved'])
        await orders.transition(desk, value.id, { to });

      setClock(new Date('2028-04-01T09:00:00.000Z'));
      const sweep = new DeadlineSweep(orders, logger, DAY, now, 2);
      const pass = await sweep.sweep();
      expect(pass.expired).to.deep.equal([value.id]);
      expect((await orders.get(desk, value.id)).status).to.equal('expired');
    });
  });
});
