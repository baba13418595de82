import { InvalidParameterError } from '../errors';
import { uuidParam } from './schemas';

/** Where a page of a listing (newest first) ends: the next page starts after it. */
export interface PagePosition {
  readonly createdAt: Date;
  readonly id: string;
}

/** Cursors are opaque to clients: base64url of the last item's position. */
export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');
}

/** The position a cursor names; anything else is 400 INVALID_PARAMETER at `/cursor`. */
export function decodeCursor(cursor: string): PagePosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const createdAt = new Date(String(at));
    if (Number.isNaN(createdAt.getTime()) || !uuidParam.safeParse(id).success) throw new Error('bad cursor');
    return { createdAt, id: id as string };
  } catch {
    throw new InvalidParameterError([{ pointer: '/cursor', reason: 'invalid_cursor' }]);
  }
}
