import { createHash, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { call, type TestResponse } from './service';

/** The tus protocol version every request names. */
export const TUS = { 'tus-resumable': '1.0.0' };

/** Intake metadata for a resumable upload (the same schema as the multipart upload's). */
export function intakeMetadata(exhibitNumber = `EX-${randomUUID().slice(0, 8)}`) {
  return {
    exhibitNumber,
    description: 'Disk image',
    source: 'Seized laptop',
    acquiredAt: '2026-11-20T09:30:00Z',
    acquiredBy: 'Examiner',
  };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** tus Upload-Metadata: comma-separated `key base64(value)` pairs. */
export function uploadMetadata(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
}

/** Creates an upload (tus creation) and returns the answer; `location` is the upload's path when created. */
export async function createUpload(
  base: string,
  token: string,
  options: {
    caseId: string;
    length: number;
    sha256: string;
    metadata?: object;
    extra?: Record<string, string>;
  },
): Promise<TestResponse & { location: string | undefined }> {
  const response = await call(base, 'POST', '/v1/uploads', {
    token,
    headers: {
      ...TUS,
      'upload-length': String(options.length),
      'upload-metadata': uploadMetadata({
        caseId: options.caseId,
        metadata: JSON.stringify(options.metadata ?? intakeMetadata()),
        sha256: options.sha256,
        filename: 'disk.dd',
        filetype: 'application/octet-stream',
        ...options.extra,
      }),
    },
  });
  return { ...response, location: response.headers.get('location') ?? undefined };
}

/** The headers of a PATCH at `offset`. */
function patchHeaders(token: string, offset: number): Record<string, string> {
  return {
    ...TUS,
    authorization: `Bearer ${token}`,
    'upload-offset': String(offset),
    'content-type': 'application/offset+octet-stream',
  };
}

/** One PATCH of `bytes` at `offset`. */
export async function patch(
  base: string,
  token: string,
  location: string,
  offset: number,
  bytes: Uint8Array,
): Promise<TestResponse> {
  return call(base, 'PATCH', location, { headers: patchHeaders(token, offset), body: bytes });
}

/** The offset the server holds (HEAD). */
export async function headOffset(base: string, token: string, location: string): Promise<TestResponse> {
  return call(base, 'HEAD', location, { token, headers: TUS });
}

/**
 * A PATCH whose client goes away after `sent` bytes of a body that announced
 * `declared` bytes: the connection is destroyed mid-body, as a dropped link does.
 */
export function interruptedPatch(
  base: string,
  token: string,
  location: string,
  offset: number,
  bytes: Uint8Array,
  declared: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = patchRequest(base, token, location, offset, declared);
    req.on('error', () => resolve());
    req.on('response', () => reject(new Error('the interrupted PATCH was answered')));
    req.write(bytes, () => {
      // Give the bytes time to reach the service, then drop the link.
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
  });
}

/** A PATCH announcing a body of `declared` bytes, its body left to the caller. */
function patchRequest(base: string, token: string, location: string, offset: number, declared: number) {
  return request(new URL(location, base), {
    method: 'PATCH',
    headers: { ...patchHeaders(token, offset), 'content-length': String(declared) },
  });
}

/**
 * A PATCH that sends `bytes` of a body announcing `declared` bytes and then
 * goes silent without closing (a link that died without a word): the service
 * still holds the upload's lock for it. `close` ends the connection.
 */
export async function stalledPatch(
  base: string,
  token: string,
  location: string,
  offset: number,
  bytes: Uint8Array,
  declared: number,
): Promise<{ close: () => void }> {
  const req = patchRequest(base, token, location, offset, declared);
  req.on('error', () => {});
  await new Promise<void>((resolve) => req.write(bytes, () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { close: () => req.destroy() };
}
