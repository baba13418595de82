import { randomBytes, randomUUID } from 'node:crypto';
import { mlaBody, movedThrough, submitOrder } from './order-requests';
import type { TestService } from './service';

/** Opens a case as `token` and returns its id. */
export async function openCase(service: TestService, token: string, title = 'Test case'): Promise<string> {
  const response = await service.call('POST', '/v1/cases', {
    token,
    json: { reference: randomUUID(), title },
  });
  if (response.status !== 201)
    throw new Error(`opening a case answered ${response.status}: ${response.text}`);
  return response.body.case.id;
}

/** Sends `bytes` as a new exhibit of the case as `token` (a multipart upload), whatever the answer. */
export function postExhibit(
  service: TestService,
  token: string,
  caseId: string,
  bytes: Uint8Array = randomBytes(1000),
): Promise<Response> {
  const form = new FormData();
  form.append(
    'metadata',
    JSON.stringify({
      exhibitNumber: `EX-${randomUUID().slice(0, 8)}`,
      description: 'Test exhibit',
      source: 'Test',
      acquiredAt: '2026-11-20T09:30:00Z',
      acquiredBy: 'Test',
    }),
  );
  form.append('file', new Blob([bytes]), 'exhibit.bin');
  return fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
}

/** Uploads `bytes` as an exhibit of the case as `token` and returns the item's id. */
export async function uploadItem(
  service: TestService,
  token: string,
  caseId: string,
  bytes: Uint8Array = randomBytes(1000),
): Promise<string> {
  const response = await postExhibit(service, token, caseId, bytes);
  const body = (await response.json()) as { evidence?: { id: string } };
  if (response.status !== 201 || !body.evidence) throw new Error(`upload answered ${response.status}`);
  return body.evidence.id;
}

/** The body of a domestic production order (Art. 27) in a case: the simplest order a member may ask for. */
export function productionOrderBody(caseId: string) {
  return {
    kind: 'production',
    direction: 'domestic',
    legalBasis: { instrument: 'DOMESTIC', article: '27' },
    caseId,
    requestingAuthority: 'Prosecutor General',
    channel: 'direct',
    // What the addressee must produce (UN Art. 27, Budapest Art. 18).
    addresseeType: 'person_in_territory',
    addressee: 'AzerHost LLC',
    dataCategories: ['traffic'],
    dataDescription: 'Connection logs of host 203.0.113.7',
    dataPeriod: { from: '2026-11-01T00:00:00Z', to: '2026-11-27T23:59:59Z' },
    // Domestic law lets a production order issue only on a court's decision (UN Art. 24; Budapest Art. 15).
    authorisingBody: 'Baku Court of Serious Crimes',
    authorisingReference: 'DECISION-2026-0001',
  };
}

/**
 * The legal basis a disclosure needs: `recipientAgency`'s mutual legal
 * assistance request (UN Art. 44), received by the service's central
 * authority, linked to the items and executed by `handler` (a prosecutor or
 * investigator of the central authority who is a member of the items' case).
 * Returns the order's id.
 */
export async function executedRequestFor(
  service: TestService,
  handler: string,
  recipientAgency: string,
  itemIds: readonly string[],
): Promise<string> {
  const requester = await service.token(`requester-${randomUUID().slice(0, 8)}`, recipientAgency, 'partner');
  const orderId = await submitOrder(
    service,
    requester,
    mlaBody({
      requestingAuthority: 'Requesting authority',
      offence: 'Computer fraud',
      assistanceSought: 'Production of the preserved data',
      purpose: 'Evidence in the criminal proceedings',
    }),
  );
  await movedThrough(service, orderId, handler, ['under_assessment', 'accepted', 'executing']);
  for (const evidenceId of itemIds) {
    const linked = await service.call('POST', `/v1/orders/${orderId}/evidence`, {
      token: handler,
      json: { evidenceId },
    });
    if (linked.status !== 201) throw new Error(`linking an item answered ${linked.status}: ${linked.text}`);
  }
  await movedThrough(service, orderId, handler, ['executed']);
  return orderId;
}
