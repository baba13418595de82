import { randomUUID } from 'node:crypto';
import type { TestService } from './service';

/** The log's current size, from the public /v1/log/info. */
export async function logSize(service: TestService): Promise<number> {
  const info = await service.call('GET', '/v1/log/info');
  if (info.status !== 200) throw new Error(`/v1/log/info answered ${info.status}`);
  return info.body.size as number;
}

/**
 * Opens cases as `token`, 25 at a time, until the log holds at least `size`
 * entries; returns the log indexes of the entries written (from their receipts),
 * which that token's principal may read.
 */
export async function growLog(service: TestService, token: string, size: number): Promise<number[]> {
  const written: number[] = [];
  while ((await logSize(service)) < size) {
    const opened = await Promise.all(
      Array.from({ length: 25 }, () =>
        service.call('POST', '/v1/cases', {
          token,
          json: { reference: `G-${randomUUID()}`, title: 'Log growth' },
        }),
      ),
    );
    for (const response of opened) {
      if (response.status !== 201) throw new Error(`opening a case answered ${response.status}`);
      const payload = (response.body.receipt as string).split('.')[1] as string;
      written.push(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).index as number);
    }
  }
  return written;
}
