import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Principal } from '../../src/access/roles';
import { CaseRepository } from '../../src/db/case.repository';
import { openDatabase } from '../../src/db/data-source';
import { LogRepository } from '../../src/db/log.repository';
import { NotificationRepository } from '../../src/db/notification.repository';
import { OrderRepository } from '../../src/db/order.repository';
import { PrincipalRepository } from '../../src/db/principal.repository';
import { NotFoundError } from '../../src/errors';
import { noteSigner } from '../../src/ledger';
import { Sequencer } from '../../src/log/sequencer';
import { createLogger } from '../../src/logger';
import { ConsultationService } from '../../src/orders/consultations';
import { DEFAULT_PERIODS } from '../../src/orders/deadlines';
import { DEFAULT_LEGAL_SETTINGS } from '../../src/orders/legal-settings';
import { NoticingCustodyLog } from '../../src/orders/order-notices';
import { type OrderInput, OrderService } from '../../src/orders/order-service';
import { withScratchDatabase } from './database';
import { type RevealedEntry, revealedChain } from './revealed';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

/** Where the injected clock starts: 2028 is a leap year, so 60 days on is 1 April. */
export const START = new Date('2028-02-01T09:00:00.000Z');

/** A complete Art. 42 request from a partner, sent through the 24/7 point of contact. */
export const art42Request: OrderInput = {
  kind: 'preservation',
  direction: 'incoming',
  legalBasis: { instrument: 'UNCC', article: '42' },
  requestingState: 'DE',
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

/** A domestic preservation order (Art. 25) of the desk's own agency. */
export const domesticPreservation: OrderInput = {
  ...art42Request,
  direction: 'domestic',
  legalBasis: { instrument: 'DOMESTIC', article: '25' },
  requestingState: undefined,
  requestingAuthority: 'Prosecutor General',
  channel: 'direct',
  urgency: 'normal',
};

/** The partner's MLA request (Art. 44) for the data preserved under `art42Request`. */
export const mlaRequest: OrderInput = {
  ...art42Request,
  kind: 'mla',
  legalBasis: { instrument: 'UNCC', article: '44' },
  channel: 'central_authority',
  urgency: 'normal',
  details: {
    offence: 'Computer fraud',
    conductingAuthority: 'Staatsanwaltschaft Köln, prosecuting computer fraud',
    factsSummary: 'Production of the preserved data',
    assistanceSought: 'Production of the logs preserved under the Art. 42 request',
    purpose: 'Evidence in the criminal proceedings',
  },
  safeguards: {},
};

/** The court decision a domestic production order rests on (UN Art. 24; Budapest Art. 15). */
export const courtAuthorisation = {
  authorisingBody: 'Baku Court of Serious Crimes',
  authorisingReference: 'DECISION-2028-0001',
};

/** What a domestic production order must name (UN Art. 27, Budapest Art. 18). */
export const productionContents = {
  addresseeType: 'person_in_territory',
  addressee: 'AzerHost LLC',
  dataCategories: ['traffic'],
  dataDescription: 'Connection logs of host 203.0.113.7',
  dataPeriod: { from: '2028-01-01T00:00:00Z', to: '2028-01-31T23:59:59Z' },
};

export interface OrderHarness {
  readonly db: DataSource;
  readonly orders: OrderService;
  readonly consultations: ConsultationService;
  /** A foreign authority (partner) and the central authority's desk that handles its requests. */
  readonly partner: Principal;
  readonly desk: Principal;
  readonly now: () => Date;
  setClock(at: Date): void;
  /** Moves the clock on by `ms`. */
  advance(ms: number): void;
  /** Submits and moves an order through `moves` (by the desk), returning its id. */
  orderIn(input: OrderInput, moves: readonly string[], by?: Principal): Promise<string>;
  /** The order's chain, withheld fields revealed. */
  chain(id: string): Promise<RevealedEntry[]>;
}

const logger = createLogger('silent');

/** The order service on a scratch database with an injected clock that starts at `START`. */
export async function withOrders(body: (harness: OrderHarness) => Promise<void>): Promise<void> {
  await withScratchDatabase(async (url) => {
    const db = await openDatabase(url);
    try {
      let clock = START;
      const now = () => clock;
      const sequencer = await Sequencer.open(
        db,
        new LogRepository(db),
        noteSigner('test.example/custody', randomBytes(32)),
        { maxBatch: 16, maxQueue: 100, now },
        logger,
      );
      const receiptKey = { kid: 'test', key: generateKeyPairSync('ed25519').privateKey };
      // As in the service: order entries leave the notices they owe in the outbox, in their own commit.
      const custodyLog = new NoticingCustodyLog(
        sequencer,
        () => receiptKey,
        new OrderRepository(db),
        new NotificationRepository(db),
        now,
      );
      const orders = new OrderService(new OrderRepository(db), new CaseRepository(db), custodyLog, {
        evidence: async () => {
          throw new NotFoundError('evidence');
        },
        centralAuthority: 'AZ-SSS',
        periods: DEFAULT_PERIODS,
        // A provider's deployment, so the EU orders of these tests apply to it (Reg. 2023/1543 Art. 7).
        legal: { ...DEFAULT_LEGAL_SETTINGS, euRoles: ['service_provider'] },
        entries: new LogRepository(db),
        now,
      });
      const partner: Principal = { sub: 'bka-1', agency: 'DE-BKA', roles: ['partner'], issuer: 'test' };
      const desk: Principal = { sub: 'desk-1', agency: 'AZ-SSS', roles: ['prosecutor'], issuer: 'test' };
      const principals = new PrincipalRepository(db);
      for (const p of [partner, desk]) await principals.record(p);
      const consultations = new ConsultationService(custodyLog, {
        order: (principal, id) => orders.get(principal, id),
        entries: new LogRepository(db),
      });
      await body({
        db,
        orders,
        consultations,
        partner,
        desk,
        now,
        setClock: (at) => {
          clock = at;
        },
        advance: (ms) => {
          clock = new Date(clock.getTime() + ms);
        },
        orderIn: async (input, moves, by = input.direction === 'incoming' ? partner : desk) => {
          const { value } = await orders.submit(by, input);
          for (const to of moves) await orders.transition(desk, value.id, { to });
          return value.id;
        },
        chain: (id) => revealedChain(db, 'order', id),
      });
    } finally {
      await db.destroy();
    }
  });
}

/** The code of the error `promise` rejects with (it must reject). */
export async function refusalCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  throw new Error('expected a refusal');
}
