import { z } from 'zod';
import { AGENCY_CODE, ROLES } from '../access/roles';

/** Request and query schemas. Objects are strict: an unknown field is an error, not silently dropped. */

const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => value.trim().length > 0, { message: 'must not be blank' });

export const openCaseBody = z.strictObject({
  reference: text(128),
  title: text(500),
  legalBasis: text(500).optional(),
});

export const grantBody = z
  .strictObject({
    agency: z.string().regex(AGENCY_CODE).optional(),
    sub: z.string().min(1).max(255).optional(),
    role: z.enum(ROLES).exclude(['admin']),
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((body) => (body.agency === undefined) !== (body.sub === undefined), {
    message: 'exactly one of agency and sub',
    path: ['agency'],
  });

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const uuidParam = z.uuid();
