import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { type CaseAction, caseAllows } from '../../src/access/permissions';
import { ROLES, type Role } from '../../src/access/roles';
import { testDatabase } from '../support/database';
import { executedRequestFor, openCase, productionOrderBody, uploadItem } from '../support/fixtures';
import { startTestService, type TestService, uniqueAgency, uniqueSub } from '../support/service';
import { createUpload, patch, sha256Hex, TUS } from '../support/tus';

type CallerKind = 'member' | 'non-member' | 'foreign';
type ObjectKind = 'in-scope' | 'out-of-scope' | 'absent';
type Family = 'case' | 'evidence' | 'order' | 'disclosure' | 'entry';

/** The objects of one agency's case: what the routes' `{id}` names. */
interface Fixture {
  readonly agency: string;
  readonly lead: string;
  /** Ids of the case's objects; `entry` is the log index of the item's acquisition entry. */
  readonly ids: Record<Family, string>;
  /** A membership of the case (a court's), for the revocation route. */
  readonly grantId: string;
  /** A partner's executed request covering the item: the legal basis a disclosure to it cites. */
  readonly handOver: { readonly recipient: string; readonly order: string };
  /** A notification addressed to the agency (the order's referral to it). */
  readonly notification: string;
}

/** Roles a case can be granted to (partners and operators never become members). */
const MEMBER_ROLES: readonly Role[] = ['investigator', 'custodian', 'prosecutor', 'court', 'auditor'];

/**
 * What each read route asks of the access model: the object family its `{id}`
 * names, and for case-bound routes the action of the permission table.
 */
function routeModel(path: string): { family: Family; action?: CaseAction } | undefined {
  const table: Record<string, { family: Family; action?: CaseAction }> = {
    '/v1/cases/{id}': { family: 'case', action: 'case.read' },
    '/v1/cases/{caseId}/evidence': { family: 'case', action: 'case.read' },
    '/v1/evidence/{id}': { family: 'evidence', action: 'case.read' },
    '/v1/evidence/{id}/chain': { family: 'evidence', action: 'case.read' },
    '/v1/evidence/{id}/content': { family: 'evidence', action: 'evidence.content' },
    '/v1/evidence/{id}/report': { family: 'evidence', action: 'evidence.report' },
    '/v1/evidence/{id}/report.pdf': { family: 'evidence', action: 'evidence.report' },
    '/v1/orders/{id}': { family: 'order' },
    '/v1/orders/{id}/chain': { family: 'order' },
    '/v1/orders/{id}/user-notice': { family: 'order' },
    '/v1/orders/{id}/matter': { family: 'order' },
    '/v1/disclosures/{id}': { family: 'disclosure', action: 'case.read' },
    '/v1/disclosures/{id}/package': { family: 'disclosure', action: 'evidence.content' },
    '/v1/disclosures/{id}/uses': { family: 'disclosure', action: 'case.read' },
    '/v1/log/entries/{index}': { family: 'entry', action: 'case.read' },
    '/v1/log/entries/{index}/receipt': { family: 'entry', action: 'case.read' },
  };
  return table[path];
}

/**
 * The status the access model (api.md; src/access/permissions.ts) gives a
 * caller for an object in scope of its own agency's case. Out of scope and
 * absent objects are 404 for everyone.
 */
function expectedStatus(
  model: { family: Family; action?: CaseAction },
  role: Role,
  kind: CallerKind,
): number {
  if (kind === 'foreign') return 404;
  if (model.family === 'order') {
    // Orders follow their owning agency: its handlers and auditors (a court, through a court membership of the case).
    if (['investigator', 'prosecutor', 'auditor'].includes(role)) return 200;
    return role === 'court' && kind === 'member' ? 200 : 404;
  }
  const member = kind === 'member' && MEMBER_ROLES.includes(role);
  const standing = member
    ? { roles: [role], lead: false, content: role === 'investigator' || role === 'prosecutor' }
    : role === 'auditor'
      ? { roles: [role], lead: false, content: false }
      : undefined;
  if (!standing) return 404;
  if (!caseAllows(standing, 'case.read')) return 404;
  return caseAllows(standing, model.action ?? 'case.read') ? 200 : 403;
}

/** Reads that are entries of the item's or case's own chain (evidence.accessed, report.issued, disclosure.fetched). */
const OWN_ENTRY_ROUTES = [
  '/v1/evidence/{id}/content',
  '/v1/evidence/{id}/report',
  '/v1/evidence/{id}/report.pdf',
  '/v1/disclosures/{id}/package',
];

/** A small, well-formed evidence upload (multipart: metadata first, then the file). */
const UPLOAD = {
  headers: { 'content-type': 'multipart/form-data; boundary=matrix' },
  body: [
    '--matrix',
    'Content-Disposition: form-data; name="metadata"',
    'Content-Type: application/json',
    '',
    JSON.stringify({
      exhibitNumber: 'EX-M',
      description: 'd',
      source: 's',
      acquiredAt: '2026-11-20T09:30:00Z',
      acquiredBy: 'a',
    }),
    '--matrix',
    'Content-Disposition: form-data; name="file"; filename="x.bin"',
    'Content-Type: application/octet-stream',
    '',
    'bytes',
    '--matrix--',
    '',
  ].join('\r\n'),
};

/** How many audit entries name this request. */
async function auditEntriesOf(requestId: string): Promise<number> {
  const [row] = await testDatabase().db.query(
    `SELECT count(*)::int AS n FROM log_entries
      WHERE subject_type = 'audit' AND convert_from(leaf_data, 'UTF8')::jsonb #>> '{data,requestId}' = $1`,
    [requestId],
  );
  return row.n;
}

/** A caller's standing in its own agency's case: as a member in its role, or as its agency's auditor. */
function standingOf(role: Role, kind: CallerKind) {
  if (kind === 'member' && MEMBER_ROLES.includes(role)) {
    return { roles: [role], lead: false, content: role === 'investigator' || role === 'prosecutor' };
  }
  return kind === 'non-member' && role === 'auditor'
    ? { roles: [role], lead: false, content: false }
    : undefined;
}

/** A case-bound action: 404 without standing, else what the table allows. */
function caseBound(role: Role, kind: CallerKind, action: CaseAction, ok: number): number {
  const standing = standingOf(role, kind);
  if (!standing) return 404;
  return caseAllows(standing, action) ? ok : 403;
}

/** Orders of the caller's agency are visible to its handlers and auditors, and to court members of the case. */
function orderVisible(role: Role, kind: CallerKind): boolean {
  if (kind === 'foreign') return false;
  return handler(role) || role === 'auditor' || (role === 'court' && kind === 'member');
}

/** Roles that read and acknowledge their agency's notifications. */
function notified(role: Role): boolean {
  return handler(role) || role === 'auditor' || role === 'partner';
}

/** Whether an order view offers its reader moves: `hidden` when there is no view. */
function movesOf(body: { order?: { allowedMoves: unknown[] } }): 'hidden' | 'some' | 'none' {
  if (!body.order) return 'hidden';
  return body.order.allowedMoves.length > 0 ? 'some' : 'none';
}

function handler(role: Role): boolean {
  return role === 'investigator' || role === 'prosecutor';
}

describe('the access matrix: every route × role × caller × object', function () {
  this.timeout(120_000);
  let service: TestService;
  let own: Fixture;
  let other: Fixture;
  const tokens = new Map<string, string>();
  const subs = new Map<string, { sub: string; agency: string }>();

  /**
   * A case of `agency` with an item, an order, a disclosure and a grant, made
   * through `via`: a process whose central authority is that agency, so that
   * it discloses under a partner's request it received.
   */
  async function fixture(agency: string, via: TestService): Promise<Fixture> {
    const lead = await via.token(uniqueSub('lead'), agency, 'investigator', 'prosecutor');
    const caseId = await openCase(via, lead, 'Matrix');
    const evidenceId = await uploadItem(via, lead, caseId);
    const recipient = uniqueAgency('P');
    const handOver = { recipient, order: await executedRequestFor(via, lead, recipient, [evidenceId]) };
    const orderId = (
      await via.call('POST', '/v1/orders', {
        token: lead,
        json: productionOrderBody(caseId),
      })
    ).body.order.id;
    const disclosureId = (
      await via.call('POST', `/v1/cases/${caseId}/disclosures`, {
        token: lead,
        json: { recipientAgency: recipient, evidenceIds: [evidenceId], orderId: handOver.order },
      })
    ).body.disclosure.id;
    const grantId = (
      await via.call('POST', `/v1/cases/${caseId}/grants`, {
        token: lead,
        json: { agency: uniqueAgency('C'), role: 'court' },
      })
    ).body.grant.id;
    // The agency is one of its process's referral authorities: referring its own order notifies it.
    await via.call('POST', `/v1/orders/${orderId}/referrals`, {
      token: lead,
      json: { authority: agency, reason: 'Matrix' },
    });
    const notification = (await via.call('GET', '/v1/notifications?limit=1', { token: lead })).body.items[0]
      .id;
    const [acquired] = await testDatabase().db.query(
      `SELECT idx::text FROM log_entries WHERE subject_type = 'evidence' AND subject_id = $1 AND seq = 1`,
      [evidenceId],
    );
    return {
      agency,
      lead,
      ids: {
        case: caseId,
        evidence: evidenceId,
        order: orderId,
        disclosure: disclosureId,
        entry: acquired.idx,
      },
      grantId,
      handOver,
      notification,
    };
  }

  before(async () => {
    const ownAgency = uniqueAgency();
    const otherAgency = uniqueAgency();
    service = await startTestService({
      CENTRAL_AUTHORITY: ownAgency,
      REFERRAL_AUTHORITIES: `AZ-MOJ,${ownAgency}`,
    });
    own = await fixture(ownAgency, service);
    // The other agency's case is set up through a process for which that agency is the central authority.
    const otherProcess = await startTestService({
      CENTRAL_AUTHORITY: otherAgency,
      REFERRAL_AUTHORITIES: `AZ-MOJ,${otherAgency}`,
    });
    try {
      other = await fixture(otherAgency, otherProcess);
    } finally {
      await otherProcess.stop();
    }
    for (const role of ROLES) {
      for (const kind of ['member', 'non-member', 'foreign'] as const) {
        const sub = uniqueSub(`${role}-${kind}`);
        const agency = kind === 'foreign' ? uniqueAgency('F') : own.agency;
        if (kind === 'member' && MEMBER_ROLES.includes(role)) {
          const granted = await service.call('POST', `/v1/cases/${own.ids.case}/grants`, {
            token: own.lead,
            json: { agency, sub, role },
          });
          expect(granted.status, granted.text).to.equal(201);
        }
        tokens.set(`${role}/${kind}`, await service.token(sub, agency, role));
        subs.set(`${role}/${kind}`, { sub, agency });
      }
    }
  });
  after(async () => {
    await service.stop();
  });

  it('when the OpenAPI document is read, then every read route that names a case-bound object is in the model', async () => {
    const paths = Object.entries(
      (await service.call('GET', '/openapi.json')).body.paths as Record<string, object>,
    )
      .filter(([path, item]) => /\{(id|index|caseId)\}$|\{(id|caseId)\}\//.test(path) && 'get' in item)
      .map(([path]) => path);
    expect(paths.filter((path) => !routeModel(path))).to.deep.equal([]);
    expect(paths.length).to.be.at.least(10);
  });

  const readRoutes = [
    '/v1/cases/{id}',
    '/v1/cases/{caseId}/evidence',
    '/v1/evidence/{id}',
    '/v1/evidence/{id}/chain',
    '/v1/evidence/{id}/content',
    '/v1/evidence/{id}/report',
    '/v1/evidence/{id}/report.pdf',
    '/v1/orders/{id}',
    '/v1/orders/{id}/chain',
    '/v1/orders/{id}/user-notice',
    '/v1/orders/{id}/matter',
    '/v1/disclosures/{id}',
    '/v1/disclosures/{id}/package',
    '/v1/disclosures/{id}/uses',
    '/v1/log/entries/{index}',
    '/v1/log/entries/{index}/receipt',
  ];
  for (const route of readRoutes) {
    it(`when every role of every caller kind reads ${route}, then it gets what the permission table says, out of scope looks absent, and each request is on the record once`, async () => {
      const model = routeModel(route) as { family: Family; action?: CaseAction };
      const wrong: string[] = [];
      for (const role of ROLES) {
        for (const kind of ['member', 'non-member', 'foreign'] as const) {
          const token = tokens.get(`${role}/${kind}`) as string;
          const bodies: Record<ObjectKind, unknown> = {
            'in-scope': null,
            'out-of-scope': null,
            absent: null,
          };
          for (const object of ['in-scope', 'out-of-scope', 'absent'] as const) {
            const absent = model.family === 'entry' ? '999999999' : randomUUID();
            const id = object === 'absent' ? absent : (object === 'in-scope' ? own : other).ids[model.family];
            const response = await service.call('GET', route.replace(/\{(id|index|caseId)\}/, id), { token });
            const expected = object === 'in-scope' ? expectedStatus(model, role, kind) : 404;
            if (response.status !== expected)
              wrong.push(`${role}/${kind}/${object}: ${response.status} ≠ ${expected}`);
            // Every read and every refusal is on the record once; downloads and reports leave their own entry instead.
            const audited = await auditEntriesOf(response.headers.get('x-request-id') as string);
            const ownEntry = response.status === 200 && OWN_ENTRY_ROUTES.includes(route);
            if (audited !== (ownEntry ? 0 : 1))
              wrong.push(`${role}/${kind}/${object}: ${audited} audit entries`);
            if (object !== 'in-scope') bodies[object] = { ...response.body, requestId: null };
          }
          if (JSON.stringify(bodies['out-of-scope']) !== JSON.stringify(bodies.absent)) {
            wrong.push(`${role}/${kind}: out-of-scope and absent answers differ`);
          }
        }
      }
      expect(wrong).to.deep.equal([]);
    });
  }

  it('when every role of every caller kind lists cases, disclosures, orders and transfers, then it finds its own agency’s objects as the permission table says, never another agency’s, and a case filter on one it may not know answers as for an absent one, on the record once', async () => {
    const reference = async (id: string) =>
      (await testDatabase().db.query('SELECT reference FROM cases WHERE id = $1', [id]))[0]
        .reference as string;
    const [ownReference, otherReference] = [await reference(own.ids.case), await reference(other.ids.case)];
    // An item of the case in transit to the caller's agency as a whole: its custodians are the receiving side.
    const inTransit = await uploadItem(service, own.lead, own.ids.case);
    const sent = await service.call('POST', `/v1/evidence/${inTransit}/events`, {
      token: own.lead,
      json: { type: 'custody.transferred', purpose: 'matrix', counterparty: { agency: own.agency } },
    });
    expect(sent.status, sent.text).to.equal(201);
    const ids = (body: { items: Array<{ id?: string; evidence?: { id: string } }> }) =>
      body.items.map((item) => item.id ?? item.evidence?.id);
    const wrong: string[] = [];
    for (const role of ROLES) {
      for (const kind of ['member', 'non-member', 'foreign'] as const) {
        const token = tokens.get(`${role}/${kind}`) as string;
        const get = (path: string) => service.call('GET', path, { token });
        const reads = caseBound(role, kind, 'case.read', 200) === 200;
        const expectations: Array<[string, unknown, unknown]> = [
          ['cases', ids((await get(`/v1/cases?q=${ownReference}`)).body), reads ? [own.ids.case] : []],
          ['other cases', ids((await get(`/v1/cases?q=${otherReference}`)).body), []],
          ['disclosures', ids((await get('/v1/disclosures')).body), reads ? [own.ids.disclosure] : []],
          [
            'orders',
            ids((await get(`/v1/orders?caseId=${own.ids.case}`)).body).includes(own.ids.order),
            orderVisible(role, kind),
          ],
          ['other orders', ids((await get(`/v1/orders?caseId=${other.ids.case}`)).body), []],
          [
            'transfers',
            ids((await get('/v1/transfers')).body),
            role === 'custodian' && kind !== 'foreign' ? [inTransit] : [],
          ],
          ['transfers sent', ids((await get('/v1/transfers?side=sending')).body), []],
          // The transfer's purpose is withheld from a receiver outside the case.
          [
            'transfer purposes',
            (await get('/v1/transfers')).body.items.map((row: { purpose?: string }) => row.purpose ?? null),
            role === 'custodian' && kind !== 'foreign' ? [kind === 'member' ? 'matrix' : null] : [],
          ],
          // A disclosure's order is summarised to those the order scope lets know it: the incoming request's desk and auditors.
          [
            'orders of disclosures',
            (await get('/v1/disclosures')).body.items.map(
              (row: { order?: { id: string } }) => row.order?.id ?? null,
            ),
            reads ? [handler(role) || role === 'auditor' ? own.handOver.order : null] : [],
          ],
          [
            'allowed moves',
            movesOf((await get(`/v1/orders/${own.ids.order}`)).body),
            !orderVisible(role, kind) ? 'hidden' : handler(role) ? 'some' : 'none',
          ],
          [
            'disclosures of the case',
            (await get(`/v1/disclosures?caseId=${own.ids.case}`)).status,
            caseBound(role, kind, 'case.read', 200),
          ],
        ];
        for (const [what, actual, expected] of expectations) {
          if (JSON.stringify(actual) !== JSON.stringify(expected))
            wrong.push(`${role}/${kind} ${what}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`);
        }
        const answers = [];
        for (const caseId of [other.ids.case, randomUUID()]) {
          const response = await get(`/v1/disclosures?caseId=${caseId}`);
          if (response.status !== 404)
            wrong.push(`${role}/${kind} disclosures of ${caseId}: ${response.status}`);
          const audited = await auditEntriesOf(response.headers.get('x-request-id') as string);
          if (audited !== 1) wrong.push(`${role}/${kind}: ${audited} audit entries`);
          answers.push(JSON.stringify({ ...response.body, requestId: null }));
        }
        if (answers[0] !== answers[1]) wrong.push(`${role}/${kind}: ${answers[0]} ≠ ${answers[1]}`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  /**
   * Every write route that names an object, with a body it would accept: what
   * it is asked of an object of another agency's case must be answered
   * exactly as of one that does not exist, and be on the record once.
   */
  const writes: ReadonlyArray<{
    readonly method: string;
    readonly route: string;
    readonly path: (target: Fixture | undefined) => string;
    readonly json?: (target: Fixture | undefined) => unknown;
    readonly multipart?: boolean;
    /** The status a caller gets on its own agency's object (api.md; the permission table). */
    readonly expected: (role: Role, kind: CallerKind) => number;
  }> = [
    {
      method: 'POST',
      route: '/v1/cases/{caseId}/evidence',
      expected: (role, kind) => caseBound(role, kind, 'evidence.upload', 201),
      path: (t) => `/v1/cases/${t?.ids.case ?? randomUUID()}/evidence`,
      multipart: true,
    },
    {
      method: 'POST',
      route: '/v1/cases/{id}/grants',
      expected: (role, kind) => caseBound(role, kind, 'case.share', 201),
      path: (t) => `/v1/cases/${t?.ids.case ?? randomUUID()}/grants`,
      json: () => ({ agency: uniqueAgency('C'), role: 'court' }),
    },
    {
      method: 'DELETE',
      route: '/v1/cases/{id}/grants/{grantId}',
      expected: (role, kind) => caseBound(role, kind, 'case.share', 200),
      path: (t) => `/v1/cases/${t?.ids.case ?? randomUUID()}/grants/${t?.grantId ?? randomUUID()}`,
    },
    {
      method: 'POST',
      route: '/v1/cases/{id}/break-glass',
      expected: (role, kind) =>
        ['investigator', 'prosecutor'].includes(role) ? (kind === 'foreign' ? 404 : 201) : 403,
      path: (t) => `/v1/cases/${t?.ids.case ?? randomUUID()}/break-glass`,
      json: () => ({ reason: 'matrix' }),
    },
    {
      method: 'POST',
      route: '/v1/cases/{id}/disclosures',
      expected: (role, kind) => caseBound(role, kind, 'disclosure.create', 201),
      path: (t) => `/v1/cases/${t?.ids.case ?? randomUUID()}/disclosures`,
      json: (t) => ({
        recipientAgency: t?.handOver.recipient ?? uniqueAgency('P'),
        evidenceIds: [t?.ids.evidence ?? randomUUID()],
        ...(t ? { orderId: t.handOver.order } : {}),
      }),
    },
    {
      method: 'POST',
      route: '/v1/evidence/{id}/events',
      expected: (role, kind) => caseBound(role, kind, 'evidence.handle', 201),
      path: (t) => `/v1/evidence/${t?.ids.evidence ?? randomUUID()}/events`,
      json: () => ({ type: 'custody.analysed', purpose: 'matrix' }),
    },
    {
      method: 'POST',
      route: '/v1/evidence/{id}/fixity',
      expected: (role, kind) => caseBound(role, kind, 'evidence.handle', 201),
      path: (t) => `/v1/evidence/${t?.ids.evidence ?? randomUUID()}/fixity`,
    },
    {
      method: 'POST',
      route: '/v1/orders/{id}/transitions',
      expected: (role, kind) => (orderVisible(role, kind) ? (handler(role) ? 200 : 403) : 404),
      path: (t) => `/v1/orders/${t?.ids.order ?? randomUUID()}/transitions`,
      json: () => ({ to: 'withdrawn' }),
    },
    {
      // The matrix's order is a domestic production order: its handlers reach the check that there is no
      // requesting state to consult (422); no one else is its requester.
      method: 'POST',
      route: '/v1/orders/{id}/consultations',
      expected: (role, kind) => (orderVisible(role, kind) ? (handler(role) ? 422 : 403) : 404),
      path: (t) => `/v1/orders/${t?.ids.order ?? randomUUID()}/consultations`,
      json: () => ({ proposes: ['partial_execution'], message: 'Partial execution instead of a refusal?' }),
    },
    {
      method: 'POST',
      route: '/v1/orders/{id}/evidence',
      expected: (role, kind) =>
        !orderVisible(role, kind) ? 404 : !handler(role) ? 403 : standingOf(role, kind)?.content ? 201 : 404,
      path: (t) => `/v1/orders/${t?.ids.order ?? randomUUID()}/evidence`,
      json: (t) => ({ evidenceId: t?.ids.evidence ?? randomUUID() }),
    },
    {
      method: 'POST',
      route: '/v1/orders/{id}/user-notice',
      expected: (role, kind) => (orderVisible(role, kind) ? (handler(role) ? 201 : 403) : 404),
      path: (t) => `/v1/orders/${t?.ids.order ?? randomUUID()}/user-notice`,
      json: () => ({ decision: 'not_notified', ground: 'OBSTRUCT_INQUIRIES', reason: 'matrix' }),
    },
    {
      method: 'POST',
      // The fixture's order is a production order: its handlers learn it holds no preserved data (409).
      route: '/v1/orders/{id}/traffic-disclosures',
      expected: (role, kind) => (orderVisible(role, kind) ? (handler(role) ? 409 : 403) : 404),
      path: (t) => `/v1/orders/${t?.ids.order ?? randomUUID()}/traffic-disclosures`,
      json: () => ({
        hops: [{ provider: 'P', country: 'DE', fields: ['route'] }],
        contentDisclosed: false,
        subscriberDisclosed: false,
      }),
    },
    {
      method: 'POST',
      route: '/v1/orders/{id}/supplement',
      // The order is a domestic production order: its agency's handlers supplement it; nobody requested it from abroad.
      expected: (role, kind) => (orderVisible(role, kind) ? (handler(role) ? 200 : 403) : 404),
      path: (t) => `/v1/orders/${t?.ids.order ?? randomUUID()}/supplement`,
      json: () => ({ format: 'CSV export' }),
    },
    {
      method: 'POST',
      route: '/v1/orders/{id}/forward',
      expected: (role, kind) => (orderVisible(role, kind) ? (handler(role) ? 200 : 403) : 404),
      path: (t) => `/v1/orders/${t?.ids.order ?? randomUUID()}/forward`,
      json: () => ({ executingAgency: 'AZ-EXECUTOR' }),
    },
    {
      method: 'POST',
      route: '/v1/orders/{id}/referrals',
      expected: (role, kind) => (orderVisible(role, kind) ? (handler(role) ? 201 : 403) : 404),
      path: (t) => `/v1/orders/${t?.ids.order ?? randomUUID()}/referrals`,
      json: () => ({ reason: 'Extradition sought' }),
    },
    {
      method: 'POST',
      route: '/v1/notifications/{id}/ack',
      // Notifications are the agency's: its handlers, auditors and partners read them.
      expected: (role, kind) => (!notified(role) ? 403 : kind === 'foreign' ? 404 : 200),
      path: (t) => `/v1/notifications/${t?.notification ?? randomUUID()}/ack`,
    },
    {
      method: 'POST',
      route: '/v1/orders/{id}/acknowledgements',
      // The fixture's order names no custodian: those who know of it are refused, the rest do not learn of it.
      expected: (role, kind) => (orderVisible(role, kind) ? 403 : 404),
      path: (t) => `/v1/orders/${t?.ids.order ?? randomUUID()}/acknowledgements`,
      json: () => ({ confidentialUntil: '2027-01-01T00:00:00Z' }),
    },
    {
      method: 'POST',
      route: '/v1/orders/{id}/assignees',
      expected: (role, kind) => (orderVisible(role, kind) ? (handler(role) ? 201 : 403) : 404),
      path: (t) => `/v1/orders/${t?.ids.order ?? randomUUID()}/assignees`,
      json: () => ({ sub: uniqueSub('officer') }),
    },
    {
      method: 'POST',
      route: '/v1/orders/{id}/onward-authorisations',
      // The fixture's order is a domestic one: its handlers are told it is not one of our own requests.
      expected: (role, kind) => (orderVisible(role, kind) ? (handler(role) ? 422 : 403) : 404),
      path: (t) => `/v1/orders/${t?.ids.order ?? randomUUID()}/onward-authorisations`,
      json: () => ({ recipientAgency: 'US-FBI', recipientState: 'US', reference: 'matrix' }),
    },
    {
      method: 'POST',
      route: '/v1/disclosures/{id}/use-inquiries',
      expected: (role, kind) => caseBound(role, kind, 'disclosure.create', 201),
      path: (t) => `/v1/disclosures/${t?.ids.disclosure ?? randomUUID()}/use-inquiries`,
      json: () => ({ question: 'matrix' }),
    },
    {
      method: 'POST',
      route: '/v1/disclosures/{id}/use-reports',
      // Only the recipient reports; the fixture's recipient is another agency, so its own side is refused.
      expected: (role, kind) => caseBound(role, kind, 'case.read', 403),
      path: (t) => `/v1/disclosures/${t?.ids.disclosure ?? randomUUID()}/use-reports`,
      json: () => ({ report: 'matrix' }),
    },
    {
      method: 'DELETE',
      route: '/v1/disclosures/{id}',
      expected: (role, kind) => caseBound(role, kind, 'disclosure.create', 200),
      path: (t) => `/v1/disclosures/${t?.ids.disclosure ?? randomUUID()}`,
    },
  ];

  it('when the OpenAPI document is read, then every write route naming an object is in the write matrix', async () => {
    const documented = Object.entries(
      (await service.call('GET', '/openapi.json')).body.paths as Record<string, object>,
    )
      .flatMap(([path, item]) =>
        Object.keys(item)
          .filter((method) => method !== 'get')
          .map((method) => `${method.toUpperCase()} ${path}`),
      )
      .filter((route) => /\{(id|caseId|grantId)\}/.test(route));
    expect(documented.sort()).to.deep.equal(writes.map((w) => `${w.method} ${w.route}`).sort());
  });

  for (const write of writes) {
    it(`when every role of every caller kind asks ${write.method} ${write.route} of another agency's object, then the answer is that of an absent one, on the record once`, async () => {
      const wrong: string[] = [];
      for (const role of ROLES) {
        for (const kind of ['member', 'non-member', 'foreign'] as const) {
          const token = tokens.get(`${role}/${kind}`) as string;
          const answers = [];
          for (const target of [other, undefined]) {
            const response = await service.call(write.method, write.path(target), {
              token,
              ...(write.json ? { json: write.json(target) } : {}),
              ...(write.multipart ? UPLOAD : {}),
            });
            if (![403, 404].includes(response.status)) wrong.push(`${role}/${kind}: ${response.status}`);
            const audited = await auditEntriesOf(response.headers.get('x-request-id') as string);
            if (audited !== 1) wrong.push(`${role}/${kind}: ${audited} audit entries`);
            answers.push(JSON.stringify({ status: response.status, ...response.body, requestId: null }));
          }
          if (answers[0] !== answers[1]) wrong.push(`${role}/${kind}: ${answers[0]} ≠ ${answers[1]}`);
        }
      }
      expect(wrong).to.deep.equal([]);
    });
  }

  for (const write of writes) {
    it(`when every role of every caller kind asks ${write.method} ${write.route} of its own agency's object, then it gets what the permission table says`, async () => {
      const wrong: string[] = [];
      for (const role of ROLES) {
        for (const kind of ['member', 'non-member', 'foreign'] as const) {
          // A fresh case of the caller's agency for every write: what one write changes, the next does not see.
          const fresh = await fixture(own.agency, service);
          const caller = subs.get(`${role}/${kind}`) as { sub: string; agency: string };
          if (kind === 'member' && MEMBER_ROLES.includes(role)) {
            await service.call('POST', `/v1/cases/${fresh.ids.case}/grants`, {
              token: fresh.lead,
              json: { ...caller, role },
            });
          }
          const response = await service.call(write.method, write.path(fresh), {
            token: tokens.get(`${role}/${kind}`) as string,
            ...(write.json ? { json: write.json(fresh) } : {}),
            ...(write.multipart ? UPLOAD : {}),
          });
          const expected = write.expected(role, kind);
          if (response.status !== expected)
            wrong.push(`${role}/${kind}: ${response.status} ≠ ${expected} ${response.text.slice(0, 120)}`);
        }
      }
      expect(wrong).to.deep.equal([]);
    });
  }

  /** A principal the administrators' calls disable and enable again. */
  const victim = uniqueSub('victim');

  /**
   * The routes that name no case-bound object: listings, opening a case,
   * submitting an order, managing principals, and the public log, key,
   * verifier page and operations routes. `anonymous` is a caller without a token.
   */
  const unbound: ReadonlyArray<{
    readonly method: string;
    readonly route: string;
    readonly path?: string;
    readonly json?: () => unknown;
    readonly expected: (role: Role | 'anonymous', kind: CallerKind) => number;
  }> = [
    ...[
      ['GET', '/v1/log/checkpoint'],
      ['GET', '/v1/log/info'],
      ['GET', '/v1/log/proof/inclusion', '/v1/log/proof/inclusion?index=0&size=2'],
      ['GET', '/v1/log/proof/consistency', '/v1/log/proof/consistency?from=1&to=2'],
      ['GET', '/v1/log/entries/{index}/tlog-proof', '/v1/log/entries/0/tlog-proof'],
      ['GET', '/v1/log/tile/{L}/{N}.p/{W}', '/v1/log/tile/0/000.p/1'],
      ['GET', '/.well-known/jwks.json'],
      ['GET', '/openapi.json'],
      ['GET', '/verify'],
      ['GET', '/healthz'],
      ['GET', '/readyz'],
      ['GET', '/metrics'],
      // The browser verifier: a page for anyone, no sign-in (it sends nothing anywhere).
      ['GET', '/verify'],
    ].map(([method, route, path]) => ({
      method: method as string,
      route: route as string,
      ...(path ? { path } : {}),
      expected: () => 200,
    })),
    {
      // A full tile needs 256 entries, more than this log may hold: a tile beyond any tree here is
      // the same 404 for every caller, token or none (a guarded route would answer 401 without one).
      method: 'GET',
      route: '/v1/log/tile/{L}/{N}',
      path: '/v1/log/tile/4/000',
      expected: () => 404,
    },
    // The console's sign-in settings are public; its development sign-in is off here, so it is no route at all.
    { method: 'GET', route: '/console/config.json', expected: () => 200 },
    {
      method: 'POST',
      route: '/console/dev-sign-in',
      json: () => ({ sub: 'matrix', agency: own.agency, role: 'admin' }),
      expected: () => 404,
    },
    // tus discovery: protocol headers only, no data, no token (a browser's preflight carries none).
    { method: 'OPTIONS', route: '/v1/uploads', expected: () => 204 },
    {
      method: 'POST',
      route: '/v1/receipts/verify',
      json: () => ({ receipt: 'not.a.receipt' }),
      expected: () => 200,
    },
    {
      method: 'POST',
      route: '/v1/cases',
      json: () => ({ reference: `M-${randomUUID()}`, title: 'Matrix' }),
      expected: (role) => (role === 'anonymous' ? 401 : handler(role) ? 201 : 403),
    },
    {
      method: 'GET',
      route: '/v1/cases',
      expected: (role) => (role === 'anonymous' ? 401 : 200),
    },
    {
      method: 'GET',
      route: '/v1/orders',
      expected: (role) => (role === 'anonymous' ? 401 : 200),
    },
    {
      method: 'GET',
      route: '/v1/disclosures',
      expected: (role) => (role === 'anonymous' ? 401 : 200),
    },
    {
      method: 'GET',
      route: '/v1/transfers',
      expected: (role) => (role === 'anonymous' ? 401 : 200),
    },
    {
      method: 'GET',
      route: '/v1/orders/templates/{kind}',
      path: '/v1/orders/templates/mla',
      expected: (role) => (role === 'anonymous' ? 401 : 200),
    },
    {
      method: 'GET',
      route: '/v1/orders/stats',
      expected: (role) => (role === 'anonymous' ? 401 : handler(role) || role === 'auditor' ? 200 : 403),
    },
    {
      method: 'GET',
      route: '/v1/notifications',
      expected: (role) => (role === 'anonymous' ? 401 : notified(role) ? 200 : 403),
    },
    {
      method: 'POST',
      route: '/v1/orders',
      // A domestic production order in the caller's agency's case: its handlers that are members ask it.
      json: () => productionOrderBody(own.ids.case),
      expected: (role, kind) => {
        if (role === 'anonymous') return 401;
        if (role === 'partner') return 422; // partners submit incoming requests only
        if (!handler(role)) return 403;
        return kind === 'member' ? 201 : 404;
      },
    },
    ...(['disable', 'enable'] as const).map((action) => ({
      method: 'POST',
      route: `/v1/principals/{sub}/${action}`,
      path: `/v1/principals/${victim}/${action}`,
      json: () => ({ reason: 'matrix' }),
      expected: (role: Role | 'anonymous') => (role === 'anonymous' ? 401 : role === 'admin' ? 200 : 403),
    })),
  ];

  /** Resumable uploads: creation is case-bound (the case is in its metadata); an upload is its creator's alone. */
  const UPLOAD_ROUTES = [
    'POST /v1/uploads',
    ...['HEAD', 'PATCH', 'DELETE', 'GET'].map((method) => `${method} /v1/uploads/{uploadId}`),
    'POST /v1/uploads/{uploadId}/complete',
  ];

  const createUploadAs = (token: string, caseId: string) =>
    createUpload(service.url, token, { caseId, length: 5, sha256: sha256Hex(Buffer.from('bytes')) });

  it('when every role of every caller kind creates an upload in its agency’s case, another agency’s or an absent one, then it gets what the permission table says, and out of scope looks absent, on the record once', async () => {
    const wrong: string[] = [];
    for (const role of ROLES) {
      for (const kind of ['member', 'non-member', 'foreign'] as const) {
        const token = tokens.get(`${role}/${kind}`) as string;
        const own_ = await createUploadAs(token, own.ids.case);
        const expected = caseBound(role, kind, 'evidence.upload', 201);
        if (own_.status !== expected) wrong.push(`${role}/${kind}/own: ${own_.status} ≠ ${expected}`);
        if (own_.location) await service.call('DELETE', own_.location, { token, headers: TUS });
        const answers = [];
        for (const caseId of [other.ids.case, randomUUID()]) {
          const response = await createUploadAs(token, caseId);
          if (response.status !== 404) wrong.push(`${role}/${kind}: ${response.status}`);
          const audited = await auditEntriesOf(response.headers.get('x-request-id') as string);
          if (audited !== 1) wrong.push(`${role}/${kind}: ${audited} audit entries`);
          answers.push(JSON.stringify({ status: response.status, ...response.body, requestId: null }));
        }
        if (answers[0] !== answers[1]) wrong.push(`${role}/${kind}: ${answers[0]} ≠ ${answers[1]}`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  it('when every role of every caller kind names an upload it did not create, then HEAD, PATCH, DELETE, GET and complete answer as for an absent one, on the record once', async () => {
    const created = await createUploadAs(own.lead, own.ids.case);
    expect(created.status).to.equal(201);
    const wrong: string[] = [];
    for (const role of ROLES) {
      for (const kind of ['member', 'non-member', 'foreign'] as const) {
        const token = tokens.get(`${role}/${kind}`) as string;
        for (const method of ['HEAD', 'PATCH', 'DELETE', 'GET', 'COMPLETE']) {
          const answers = [];
          for (const target of [created.location as string, `/v1/uploads/${randomUUID()}`]) {
            const response =
              method === 'PATCH'
                ? await patch(service.url, token, target, 0, Buffer.from('bytes'))
                : method === 'COMPLETE'
                  ? await service.call('POST', `${target}/complete`, { token })
                  : await service.call(method, target, { token, headers: TUS });
            if (response.status !== 404) wrong.push(`${method} ${role}/${kind}: ${response.status}`);
            const audited = await auditEntriesOf(response.headers.get('x-request-id') as string);
            if (audited !== 1) wrong.push(`${method} ${role}/${kind}: ${audited} audit entries`);
            answers.push(JSON.stringify({ status: response.status, ...response.body, requestId: null }));
          }
          if (answers[0] !== answers[1])
            wrong.push(`${method} ${role}/${kind}: ${answers[0]} ≠ ${answers[1]}`);
        }
      }
    }
    expect(wrong).to.deep.equal([]);
    const head = await service.call('HEAD', created.location as string, { token: own.lead, headers: TUS });
    expect([head.status, head.headers.get('upload-offset')]).to.deep.equal([200, '0']);
  });

  it('when the OpenAPI document is read, then every route is in one of the matrices', async () => {
    const documented = Object.entries(
      (await service.call('GET', '/openapi.json')).body.paths as Record<string, object>,
    ).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    const modelled = [
      ...readRoutes.map((route) => `GET ${route}`),
      ...writes.map((write) => `${write.method} ${write.route}`),
      ...unbound.map((route) => `${route.method} ${route.route}`),
      ...UPLOAD_ROUTES,
    ];
    expect([...documented].sort()).to.deep.equal([...new Set(modelled)].sort());
  });

  it('when every role of every caller kind, and a caller without a token, calls each route that names no case-bound object, then it gets what the permission table says', async () => {
    await service.call('GET', '/v1/cases', {
      token: await service.token(victim, own.agency, 'investigator'),
    });
    const wrong: string[] = [];
    const callers = [
      ...ROLES.flatMap((role) =>
        (['member', 'non-member', 'foreign'] as const).map((kind) => ({ role, kind })),
      ),
      { role: 'anonymous' as const, kind: 'foreign' as const },
    ];
    for (const route of unbound) {
      for (const { role, kind } of callers) {
        const token = role === 'anonymous' ? undefined : (tokens.get(`${role}/${kind}`) as string);
        const response = await service.call(route.method, route.path ?? route.route, {
          ...(token ? { token } : {}),
          ...(route.json ? { json: route.json() } : {}),
        });
        const expected = route.expected(role, kind);
        if (response.status !== expected) {
          wrong.push(`${route.method} ${route.route} ${role}/${kind}: ${response.status} ≠ ${expected}`);
        }
      }
    }
    expect(wrong).to.deep.equal([]);
  });
});
