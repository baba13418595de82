import { InvalidParameterError } from '../errors';
import { uuidParam } from './schemas';

/** Where a page of a listing (newest first) ends: the next page starts after it. */
export interface PagePosition {
  readonly createdAt: Date;
  readonly id: string;
}

/**
 * A position in a listing ordered first by a column of its own (orders by
 * deadline), then newest first: `key` is that column's value (null sorts last).
 */
export interface KeyedPagePosition extends PagePosition {
  readonly key: Date | null;
}

/** Cursors are opaque to clients: base64url of the last item's position. */
export function encodeCursor(position: PagePosition | KeyedPagePosition): string {
  const tuple: Array<string | null> = [position.createdAt.toISOString(), position.id];
  if ('key' in position) tuple.push(position.key?.toISOString() ?? null);
  return Buffer.from(JSON.stringify(tuple)).toString('base64url');
}

/** The position a cursor names; anything else is 400 INVALID_PARAMETER at `/cursor`. */
export function decodeCursor(cursor: string): PagePosition {
  const [position, key] = decoded(cursor);
  if (key !== undefined) throw invalidCursor();
  return position;
}

/** The position a cursor of a keyed listing names (see `KeyedPagePosition`); else 400 as `decodeCursor`. */
export function decodeKeyedCursor(cursor: string): KeyedPagePosition {
  const [position, key] = decoded(cursor);
  if (key === undefined) throw invalidCursor();
  return { ...position, key };
}

function decoded(cursor: string): [PagePosition, Date | null | undefined] {
  try {
    const tuple = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (!Array.isArray(tuple) || tuple.length < 2 || tuple.length > 3) throw new Error('bad cursor');
    const [at, id, key] = tuple;
    const createdAt = dateOf(at);
    if (!uuidParam.safeParse(id).success) throw new Error('bad cursor');
    const position = { createdAt, id: id as string };
    if (tuple.length === 2) return [position, undefined];
    return [position, key === null ? null : dateOf(key)];
  } catch {
    throw invalidCursor();
  }
}

function dateOf(value: unknown): Date {
  const date = new Date(typeof value === 'string' ? value : Number.NaN);
  if (Number.isNaN(date.getTime())) throw new Error('bad cursor');
  return date;
}

const invalidCursor = () => new InvalidParameterError([{ pointer: '/cursor', reason: 'invalid_cursor' }]);
