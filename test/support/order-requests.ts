import { expect } from 'chai';
import { type RevealedEntry, revealed } from './revealed';
import type { TestResponse, TestService } from './service';

/**
 * The HTTP bodies of the legal requests the API tests send, each complete as
 * the law asks, and the calls every order test makes. A test that is about a
 * particular content changes it through `overrides` at the call site, where
 * the reader sees it (`undefined` leaves a field out of the body).
 */
type Overrides = Record<string, unknown>;

/** A complete incoming Art. 42 preservation request (UN Art. 42(3); Budapest Art. 29(2)) from Germany, through the 24/7 point of contact. */
export function art42Body(overrides: Overrides = {}) {
  return {
    kind: 'preservation',
    direction: 'incoming',
    legalBasis: { instrument: 'UNCC', article: '42' },
    requestingState: 'DE',
    requestedState: 'AZ',
    requestingAuthority: 'Bundeskriminalamt, SO 43',
    channel: '24/7',
    urgency: 'urgent',
    offence: 'Computer fraud (StGB § 263a)',
    factsSummary: 'Phishing kit hosted on a server in Baku',
    dataToPreserve: 'Logs of host 203.0.113.7',
    relationToOffence: 'The server received the phished credentials',
    custodian: 'AzerHost LLC',
    necessity: 'Logs rotate after 14 days',
    intendsMla: true,
    ...overrides,
  };
}

/** A complete incoming MLA request (UN Art. 44) to the central authority, with every UN Art. 40(15) element. */
export function mlaBody(overrides: Overrides = {}) {
  return {
    kind: 'mla',
    direction: 'incoming',
    legalBasis: { instrument: 'UNCC', article: '44' },
    requestingState: 'DE',
    requestedState: 'AZ',
    requestingAuthority: 'Bundesamt für Justiz',
    channel: 'central_authority',
    offence: 'Computer fraud (StGB § 263a)',
    conductingAuthority: 'Staatsanwaltschaft Köln',
    factsSummary: 'Production of the preserved data',
    assistanceSought: 'Production of the preserved logs',
    purpose: 'Evidence in proceedings 4711 Js 1/26',
    ...overrides,
  };
}

/** Our own MLA request (UN Art. 44) in a case to the Netherlands: what we receive under it comes with the Dutch side's conditions (UN Art. 36). */
export function outgoingMlaBody(caseId: string, overrides: Overrides = {}) {
  return {
    kind: 'mla',
    direction: 'outgoing',
    legalBasis: { instrument: 'UNCC', article: '44' },
    caseId,
    requestingState: 'AZ',
    requestedState: 'NL',
    requestingAuthority: 'Prosecutor General of Azerbaijan',
    channel: 'central_authority',
    offence: 'Computer fraud',
    conductingAuthority: 'Prosecutor General of Azerbaijan, cybercrime department',
    factsSummary: 'Servers in Amsterdam',
    assistanceSought: 'Production of the server logs',
    purpose: 'Evidence in the criminal proceedings',
    ...overrides,
  };
}

/** A German issuing authority's European Production (Reg. 2023/1543 Art. 10) or Preservation (Art. 11) Order certificate. */
export function epocBody(kind: 'epoc' | 'epoc_pr', overrides: Overrides = {}) {
  return {
    kind,
    direction: 'incoming',
    legalBasis: { instrument: 'EU_2023_1543', article: kind === 'epoc' ? '10' : '11' },
    requestingState: 'DE',
    requestingAuthority: 'Staatsanwaltschaft Köln',
    channel: 'eu_decentralised_system',
    ...overrides,
  };
}

/** A domestic preservation order (UN Art. 25; Budapest Art. 16) of the desk's own prosecutor in a case. */
export function domesticPreservationBody(caseId: string | undefined, overrides: Overrides = {}) {
  return {
    kind: 'preservation',
    direction: 'domestic',
    legalBasis: { instrument: 'DOMESTIC', article: '25' },
    caseId,
    requestingAuthority: 'Prosecutor General',
    channel: 'direct',
    dataToPreserve: 'Logs of host 203.0.113.7',
    custodian: 'AzerHost LLC',
    ...overrides,
  };
}

/** Submits an order as `token` and expects it taken (201); returns its id. */
export async function submitOrder(service: TestService, token: string, json: Overrides): Promise<string> {
  const response = await service.call('POST', '/v1/orders', { token, json });
  expect(response.status, response.text).to.equal(201);
  return response.body.order.id as string;
}

/** Asks to move an order as `token` to `to` (with what that move needs); the answer, whatever it is. */
export function moveOrder(
  service: TestService,
  id: string,
  token: string,
  to: string,
  extra: Overrides = {},
): Promise<TestResponse> {
  return service.call('POST', `/v1/orders/${id}/transitions`, { token, json: { to, ...extra } });
}

/** Moves an order as `token` through `moves` (a status, or a whole transition body), expecting each to succeed. */
export async function movedThrough(
  service: TestService,
  id: string,
  token: string,
  moves: ReadonlyArray<string | Overrides>,
): Promise<void> {
  for (const move of moves) {
    const json = typeof move === 'string' ? { to: move } : move;
    const response = await service.call('POST', `/v1/orders/${id}/transitions`, { token, json });
    expect(response.status, `${JSON.stringify(json)}: ${response.text}`).to.equal(200);
  }
}

/** An order's chain as `token` reads it, each entry with the disclosures it receives applied. */
export async function revealedOrderChain(
  service: TestService,
  id: string,
  token: string,
): Promise<RevealedEntry[]> {
  const response = await service.call('GET', `/v1/orders/${id}/chain`, { token });
  expect(response.status, response.text).to.equal(200);
  return response.body.entries.map(revealed);
}
