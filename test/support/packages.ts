import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { executedRequestFor, openCase } from './fixtures';
import { type TestService, uniqueAgency, uniqueSub } from './service';

/** A disclosure package as its partner downloaded it, with what made it. */
export interface MadePackage {
  /** The name the service gives the zip (`disclosure-<id>.zip`). */
  readonly name: string;
  readonly bytes: Buffer;
  readonly disclosureId: string;
  readonly partnerAgency: string;
  /** The two items disclosed: the first acquired with a tool at a place and analysed since. */
  readonly items: readonly [string, string];
  /** The receipt of the first item's intake. */
  readonly receipt: string;
  /** A prosecutor of the disclosing case (central authority `central`). */
  readonly prosecutor: string;
}

/**
 * A disclosure to a new partner of two items of a new case, each with
 * `facts` disclosed, downloaded by the partner: what a partner receives.
 */
export async function disclosurePackage(
  service: TestService,
  central: string,
  facts: readonly string[],
): Promise<MadePackage> {
  const prosecutor = await service.token(uniqueSub('pros'), central, 'prosecutor', 'investigator');
  const caseId = await openCase(service, prosecutor);
  const upload = async (metadata: Record<string, string>) => {
    const form = new FormData();
    form.append(
      'metadata',
      JSON.stringify({
        exhibitNumber: `EX-${randomUUID().slice(0, 8)}`,
        description: 'Mailbox export',
        source: 'Mail server',
        acquiredAt: '2026-11-20T09:30:00Z',
        acquiredBy: 'a',
        ...metadata,
      }),
    );
    form.append('file', new Blob([randomBytes(3000)]), 'mailbox.mbox');
    const response = await fetch(new URL(`/v1/cases/${caseId}/evidence`, service.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${prosecutor}` },
      body: form,
    });
    expect(response.status).to.equal(201);
    return (await response.json()) as { evidence: { id: string }; receipt: string };
  };
  const first = await upload({ acquisitionTool: 'FTK Imager 4.7', location: 'Server room, Baku' });
  const second = await upload({});
  const items = [first.evidence.id, second.evidence.id] as const;
  const analysed = await service.call('POST', `/v1/evidence/${items[0]}/events`, {
    token: prosecutor,
    json: { type: 'custody.analysed', purpose: 'Mail headers', location: 'Forensic lab 2' },
  });
  expect(analysed.status, analysed.text).to.equal(201);
  const partnerAgency = uniqueAgency('DE');
  const created = await service.call('POST', `/v1/cases/${caseId}/disclosures`, {
    token: prosecutor,
    json: {
      recipientAgency: partnerAgency,
      evidenceIds: items,
      orderId: await executedRequestFor(service, prosecutor, partnerAgency, [...items]),
      facts,
    },
  });
  expect(created.status, created.text).to.equal(201);
  const disclosureId = created.body.disclosure.id as string;
  const partner = await service.token(uniqueSub('bka'), partnerAgency, 'partner');
  const response = await fetch(new URL(`/v1/disclosures/${disclosureId}/package`, service.url), {
    headers: { authorization: `Bearer ${partner}` },
  });
  expect(response.status).to.equal(200);
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? '';
  expect(name).to.equal(`disclosure-${disclosureId}.zip`);
  return {
    name,
    bytes: Buffer.from(await response.arrayBuffer()),
    disclosureId,
    partnerAgency,
    items,
    receipt: first.receipt,
    prosecutor,
  };
}
