/**
 * The part sizes of an upload to S3. A multipart upload has at most 10,000
 * parts, each but the last at least 5 MiB and at most 5 GiB, and sizes may
 * differ between parts. The size of the file is not known when its upload
 * starts (the store's stage() is not told it), so instead of one size the part
 * size doubles every `partsPerStep` parts (1,000 by default), from the
 * configured size up to 5 GiB: small files keep small parts (and little
 * memory: an upload holds two parts of its current size), and 10,000 parts
 * reach 4.9 TiB from 5 MiB and 12.7 TiB from 16 MiB. From 16 MiB, a file of
 * up to 15.6 GiB goes in 16 MiB parts (32 MiB held), one of 500 GiB ends with
 * 512 MiB parts (1 GiB held), one of 2 TiB with 2 GiB parts (4 GiB held).
 * When the most bytes the file can have is known (a resumable upload's length,
 * a request's Content-Length), the parts are sized up front instead
 * (`fixedPartBytes`): one size for all 10,000 parts, which holds far less for
 * the largest files (2 TiB: 210 MiB parts, 420 MiB held). Growing parts are for
 * the intake that does not know (a chunked request).
 */

const MIB = 1024 * 1024;
export const S3_MAX_PART_BYTES = 5 * 1024 * MIB;
export const S3_MAX_PARTS = 10_000;
/** How many parts go at one size before it doubles. */
export const PARTS_PER_SIZE_STEP = 1_000;

/** The size of part `partNumber` (from 1) of an upload whose first part is `startBytes`. */
export function partBytesOf(
  partNumber: number,
  startBytes: number,
  partsPerStep = PARTS_PER_SIZE_STEP,
): number {
  const doublings = Math.floor((partNumber - 1) / partsPerStep);
  return Math.min(startBytes * 2 ** Math.min(doublings, 32), S3_MAX_PART_BYTES);
}

/** The largest file 10,000 parts hold when the first is `startBytes`. */
export function largestUploadBytes(startBytes: number, partsPerStep = PARTS_PER_SIZE_STEP): number {
  let total = 0;
  for (let first = 1; first <= S3_MAX_PARTS; first += partsPerStep) {
    const parts = Math.min(partsPerStep, S3_MAX_PARTS - first + 1);
    total += parts * partBytesOf(first, startBytes, partsPerStep);
  }
  return total;
}

/**
 * One part size for a file of at most `sizeBound` bytes: the configured
 * `startBytes`, or the whole MiBs that 10,000 parts need, whichever is larger;
 * undefined when even 5 GiB parts would not do (the growing sizes then apply,
 * and the upload is refused past their limit).
 */
export function fixedPartBytes(sizeBound: number, startBytes: number): number | undefined {
  const needed = Math.ceil(sizeBound / S3_MAX_PARTS / MIB) * MIB;
  const size = Math.max(startBytes, needed);
  return size <= S3_MAX_PART_BYTES ? size : undefined;
}
