import { S3Client } from '@aws-sdk/client-s3';

/** How to reach an S3 server (AWS or a compatible one). */
export interface S3Connection {
  readonly region: string;
  /** A compatible server's URL; unset for AWS. */
  readonly endpoint?: string | undefined;
  readonly forcePathStyle: boolean;
  /** Unset: the AWS SDK's default credential chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  /** Longest wait for an answer, or between two packets of one. */
  readonly requestTimeoutMs: number;
}

/**
 * The client every part of the service uses for S3: bounded timeouts and
 * retries, and no SDK checksums (the evidence store sends its own SHA-256 of
 * every part; the SDK's extra CRC32 and the aws-chunked bodies that carry it
 * add nothing, and many compatible servers refuse them).
 */
export function createS3Client(connection: S3Connection): S3Client {
  return new S3Client({
    region: connection.region,
    ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
    forcePathStyle: connection.forcePathStyle,
    ...(connection.credentials ? { credentials: { ...connection.credentials } } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: Math.min(connection.requestTimeoutMs, 5_000),
      requestTimeout: connection.requestTimeoutMs,
    },
  });
}
