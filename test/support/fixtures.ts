import { randomBytes, randomUUID } from 'node:crypto';
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
  };
}
