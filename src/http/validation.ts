import type { z } from 'zod';
import { type FieldError, InvalidParameterError, NotFoundError, ValidationError } from '../errors';
import { uuidParam } from './schemas';

/**
 * zod issues as RFC 6901 pointers and machine reasons (zod's issue codes), never
 * library prose; an enum's issue also lists the values it takes.
 */
function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => {
    const field: FieldError = {
      pointer: `/${issue.path.map((part) => pointerPart(part as string | number)).join('/')}`,
      reason: issue.code,
    };
    if (issue.code === 'invalid_value') field.allowed = issue.values.map(String);
    return field;
  });
}

/**
 * Characters no record can hold as sent: a lone UTF-16 surrogate has no UTF-8
 * form (JCS and PostgreSQL would store something else than was signed for),
 * and PostgreSQL's text refuses NUL.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorable = (text: string) => text.includes('\0') || LONE_SURROGATE.test(text);

const pointerPart = (part: string | number) => String(part).replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * Every string of a parsed value, member names included, that holds an
 * unstorable character, as a field error each. Iterative, so that a deeply
 * nested body cannot exhaust the stack.
 */
export function unstorableText(value: unknown): FieldError[] {
  const found: FieldError[] = [];
  const pending: Array<[unknown, string]> = [[value, '']];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, pointer] = next;
    if (typeof item === 'string') {
      if (unstorable(item)) found.push({ pointer: pointer || '/', reason: 'unstorable_character' });
    } else if (Array.isArray(item)) {
      for (const [i, element] of item.entries()) pending.push([element, `${pointer}/${i}`]);
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, member] of Object.entries(item)) {
        const at = `${pointer}/${pointerPart(key)}`;
        if (unstorable(key)) found.push({ pointer: at, reason: 'unstorable_character' });
        pending.push([member, at]);
      }
    }
  }
  return found;
}

/** Validates a JSON body; failures are 422 with every failing field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const refused = unstorableText(body);
  if (refused.length > 0) throw new ValidationError(refused);
  const result = schema.safeParse(body);
  if (!result.success) throw new ValidationError(fieldErrors(result.error));
  return result.data;
}

/** Validates query parameters; failures are 400 with every failing parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const refused = unstorableText(query);
  if (refused.length > 0) throw new InvalidParameterError(refused);
  const result = schema.safeParse(query);
  if (!result.success) throw new InvalidParameterError(fieldErrors(result.error));
  return result.data;
}

/** An id in the path that is not a UUID names nothing: "not found", like an unknown one (never 400). */
export function idFromPath(raw: string | string[] | undefined, what: string): string {
  const parsed = uuidParam.safeParse(raw);
  if (!parsed.success) throw new NotFoundError(what);
  return parsed.data;
}
