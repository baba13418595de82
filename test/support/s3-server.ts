import { type S3Server, startS3Server } from '../../scripts/lib/s3-server';
import type { S3BlobStoreOptions } from '../../src/storage/s3-blob-store';

export { type S3Server, startS3Server };

/** Options of an S3BlobStore on `server` under `prefix`, with a small part size so that tests cross parts quickly. */
export function s3StoreOptions(
  server: S3Server,
  prefix: string,
  overrides: Partial<S3BlobStoreOptions> = {},
): S3BlobStoreOptions {
  return {
    bucket: server.bucket,
    prefix,
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    partBytes: 5 * 1024 * 1024,
    stagingMaxAgeMs: 24 * 3_600_000,
    requestTimeoutMs: 10_000,
    ...overrides,
  };
}
