import type { z } from 'zod';
import { type FieldError, InvalidParameterError, NotFoundError, ValidationError } from '../errors';
import { pointerPart, unstorableStrings } from '../ledger';
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

/** Strings that could not be stored as sent (`unstorableStrings`), as field errors. */
export function unstorableText(value: unknown): FieldError[] {
  return unstorableStrings(value).map((pointer) => ({ pointer, reason: 'unstorable_character' }));
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
