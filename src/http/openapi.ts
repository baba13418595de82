import { z } from 'zod';
import { VERIFY_CODES } from '../verify';
import { forwardBody, referralBody } from './central-authority.routes';
import {
  breakGlassBody,
  caseListQuery,
  chainQuery,
  consultationBody,
  custodianAcknowledgementBody,
  custodyEventBody,
  devSignInBody,
  disclosureBody,
  disclosureListQuery,
  evidenceMetadata,
  grantBody,
  listQuery,
  notificationListQuery,
  onwardAuthorisationBody,
  openCaseBody,
  orderAssigneeBody,
  orderBody,
  orderEvidenceBody,
  orderListQuery,
  orderSupplementBody,
  orderTransitionBody,
  principalStatusBody,
  trafficDisclosureBody,
  transferListQuery,
  useInquiryBody,
  useReportBody,
  userNoticeBody,
} from './schemas';

const problem = {
  description: 'An RFC 9457 problem',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
};

const bearer = [{ bearer: [] }];

function jsonBody(schema: z.ZodType) {
  return {
    required: true,
    content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } },
  };
}

/** A listing's query parameters, from the schema the route validates them with. */
function queryParameters(schema: z.ZodObject) {
  return Object.entries(z.toJSONSchema(schema, { io: 'input' }).properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: false,
    schema: property,
  }));
}

function position(name: string, required: boolean) {
  return {
    name,
    in: 'query',
    required,
    schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  };
}

/**
 * The tile path parameters of https://c2sp.org/tlog-tiles. `N` spans one or
 * more path elements (index 1234067 is `x001/x234/067`), which is why it has a
 * pattern rather than a plain integer schema.
 */
function tileParameters(partial: boolean) {
  const level = {
    name: 'L',
    in: 'path',
    required: true,
    description: 'Tile level: decimal, no leading zeros',
    schema: { type: 'integer', minimum: 0, maximum: 63 },
  };
  const index = {
    name: 'N',
    in: 'path',
    required: true,
    description:
      'Tile index as zero-padded 3-digit elements, all but the last prefixed with x (x001/x234/067)',
    schema: { type: 'string', pattern: '^(?:x[0-9]{3}/){0,5}[0-9]{3}$' },
  };
  const width = {
    name: 'W',
    in: 'path',
    required: true,
    description: 'Width of the partial tile: decimal, no leading zeros',
    schema: { type: 'integer', minimum: 1, maximum: 255 },
  };
  return partial ? [level, index, width] : [level, index];
}

/** A UUID path parameter named `id` (evidence, orders). */
const evidenceId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };

const caseId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };

const subPath = {
  name: 'sub',
  in: 'path',
  required: true,
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

function uuidPath(name: string) {
  return { name, in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
}

const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'IETF draft-ietf-httpapi-idempotency-key-header: a retry with the same key and request gets the first answer ' +
    '(header `Idempotent-Replayed: true`), or, if the service stopped between the write and its answer, the ' +
    "entry's index and receipt (200, `Idempotent-Replayed: recovered`); the key with another request is 422 " +
    'IDEMPOTENCY_KEY_REUSED, while the first still runs 409 IDEMPOTENCY_KEY_IN_USE. Kept at least 24 hours.',
  schema: { type: 'string', minLength: 1, maxLength: 257 },
};

const tusResumable = {
  name: 'Tus-Resumable',
  in: 'header',
  required: true,
  schema: { type: 'string', enum: ['1.0.0'] },
};

const uploadId = uuidPath('uploadId');

/** A tus request (tus.io protocol 1.0.0): refusals are problem+json like every other; see README, resumable uploads. */
function tusOperation(operation: { summary: string; parameters?: unknown[]; responses: object }) {
  return {
    ...operation,
    security: bearer,
    'x-idempotency-key': false,
    parameters: [...(operation.parameters ?? []), tusResumable],
  };
}

/**
 * Every authenticated write (POST, DELETE) takes an Idempotency-Key, except
 * those idempotent by design (`x-idempotency-key: false`: the tus requests,
 * which the offset makes safe to repeat, and an upload's completion).
 */
function withIdempotencyKeys<T extends object>(paths: T): T {
  type Operation = { security?: unknown; parameters?: unknown[]; 'x-idempotency-key'?: boolean };
  return Object.fromEntries(
    Object.entries(paths).map(([path, operations]) => [
      path,
      Object.fromEntries(
        Object.entries(operations as Record<string, Operation>).map(([method, operation]) =>
          method === 'get' || !operation.security || operation['x-idempotency-key'] === false
            ? [method, operation]
            : [method, { ...operation, parameters: [...(operation.parameters ?? []), idempotencyKey] }],
        ),
      ),
    ]),
  ) as T;
}

/** The OpenAPI 3.1 description of the routes this version serves (`GET /openapi.json`). */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Custody Ledger',
    version: '1',
    description: 'Electronic evidence preservation with a chain of custody that outsiders can verify.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (typ at+jwt)' } },
    schemas: {
      Problem: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail', 'code', 'requestId'],
        properties: {
          type: { type: 'string', format: 'uri' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          code: { type: 'string' },
          requestId: { type: 'string' },
          from: { type: 'string', description: 'a refused state change: the state it was refused from' },
          to: { type: 'string', description: 'a refused state change: the state or event it asked for' },
          deadline: {
            type: ['object', 'null'],
            description: 'an order move refused for its timing: the deadline it missed or waits for',
            properties: { rule: { type: 'string' }, at: { type: ['string', 'null'], format: 'date-time' } },
          },
          errors: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                pointer: { type: 'string' },
                reason: { type: 'string' },
                allowed: {
                  type: 'array',
                  items: { type: 'string' },
                  description: 'the values an enum field takes',
                },
              },
            },
          },
        },
      },
      Case: {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid' },
          reference: { type: 'string' },
          title: { type: 'string' },
          legalBasis: { type: ['string', 'null'] },
          agency: { type: 'string' },
          createdBy: { type: 'string' },
          createdAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
  paths: withIdempotencyKeys({
    '/v1/cases': {
      post: {
        summary: 'Open a case owned by your agency (investigator, prosecutor)',
        security: bearer,
        requestBody: jsonBody(openCaseBody),
        responses: { '201': { description: '{ case, receipt }' }, default: problem },
      },
      get: {
        summary:
          'List the cases you may see, newest first; `q` finds those whose reference or title contains it (any case, every character literal)',
        security: bearer,
        parameters: queryParameters(caseListQuery),
        responses: { '200': { description: '{ items, nextCursor }' }, default: problem },
      },
    },
    '/v1/cases/{id}': {
      get: {
        summary: 'Read a case (404 outside your need-to-know)',
        security: bearer,
        parameters: [caseId],
        responses: { '200': { description: '{ case }' }, default: problem },
      },
    },
    '/v1/cases/{id}/grants': {
      post: {
        summary:
          'Add a member: a subject of an agency, or a whole agency, in one role no wider than yours ' +
          '(lead or prosecutor; another agency only as court or custodian)',
        security: bearer,
        parameters: [caseId],
        requestBody: jsonBody(grantBody),
        responses: { '201': { description: '{ grant, receipt }' }, default: problem },
      },
    },
    '/v1/cases/{id}/grants/{grantId}': {
      delete: {
        summary: 'Revoke a membership (lead or prosecutor); effective on the next request',
        security: bearer,
        parameters: [caseId, uuidPath('grantId')],
        responses: { '200': { description: '{ grant, receipt }' }, default: problem },
      },
    },
    '/v1/cases/{id}/break-glass': {
      post: {
        summary:
          'Open a case of your agency you are not a member of, for BREAK_GLASS_SECONDS, stating why ' +
          '(investigator, prosecutor); logged, shown in every report, and the lead is notified',
        security: bearer,
        parameters: [caseId],
        requestBody: jsonBody(breakGlassBody),
        responses: { '201': { description: '{ grant, receipt }' }, default: problem },
      },
    },
    '/v1/cases/{id}/disclosures': {
      post: {
        summary:
          'Disclose items of the case to another agency (prosecutor members), under the order that authorises it: a request of the recipient in a hand-over state, covering every item (422 LEGAL_BASIS_REQUIRED, 409 LEGAL_BASIS_INVALID, 409 CONDITION_FORBIDS otherwise)',
        security: bearer,
        parameters: [caseId],
        requestBody: jsonBody(disclosureBody),
        responses: { '201': { description: '{ disclosure, receipt }' }, default: problem },
      },
    },
    '/v1/disclosures': {
      get: {
        summary:
          'The disclosures you may read, newest first: those your agency received (its partners, until revoked; shown as GET /v1/disclosures/{id} shows them to the recipient) and those of the cases you may read. `direction` keeps one side; `caseId` one case (404 if you may not know it)',
        security: bearer,
        parameters: queryParameters(disclosureListQuery),
        responses: {
          '200': {
            description:
              '{ items: [disclosure], nextCursor }: each with its `orderId` and, where the caller may see that order (its own request’s status view, or an order in its scope), `order` `{ id, registryNumber, kind, legalBasis, status }`',
          },
          default: problem,
        },
      },
    },
    '/v1/transfers': {
      get: {
        summary:
          'Transfers awaiting acknowledgement, latest first: items your side (you, or your agency to its custodians) is named to receive, with their metadata, not their content; `side=sending`: items your side sent from cases you may read',
        security: bearer,
        parameters: queryParameters(transferListQuery),
        responses: {
          '200': {
            description:
              '{ items: [{ evidence, transferredAt, purpose? }], nextCursor }: `purpose` is the transfer entry’s, given only to a reader who receives that field (a member of the item’s case)',
          },
          default: problem,
        },
      },
    },
    '/v1/disclosures/{id}': {
      get: {
        summary:
          'A disclosure (its recipient agency’s partners until revoked; the case’s members). The recipient sees what it was given, its terms and facts, not the case or who disclosed; `order` `{ id, registryNumber, kind, legalBasis, status }` summarises the authorising order where the caller may know it',
        security: bearer,
        parameters: [uuidPath('id')],
        responses: { '200': { description: '{ disclosure }' }, default: problem },
      },
      delete: {
        summary: 'Revoke a disclosure: the recipient’s next fetch is 404 (prosecutor members)',
        security: bearer,
        parameters: [uuidPath('id')],
        responses: { '200': { description: '{ disclosure, receipt }' }, default: problem },
      },
    },
    '/v1/disclosures/{id}/package': {
      get: {
        summary: 'The BagIt package (zip) of a disclosure; every fetch is an entry on the case’s chain',
        security: bearer,
        parameters: [uuidPath('id')],
        responses: { '200': { description: 'application/zip' }, default: problem },
      },
    },
    '/v1/cases/{caseId}/evidence': {
      post: {
        summary:
          'Upload evidence: multipart with `metadata` (JSON) first, then `file`, optionally `sha256` after it',
        security: bearer,
        parameters: [uuidPath('caseId')],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['metadata', 'file'],
                properties: {
                  metadata: z.toJSONSchema(evidenceMetadata, { io: 'input' }),
                  file: { type: 'string', format: 'binary' },
                  sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
                },
              },
              encoding: { metadata: { contentType: 'application/json' } },
            },
          },
        },
        responses: { '201': { description: '{ evidence, receipt }' }, default: problem },
      },
      get: {
        summary: 'List the case’s items, newest first, a page at a time (members who may read the case)',
        security: bearer,
        parameters: [uuidPath('caseId'), ...queryParameters(listQuery)],
        responses: { '200': { description: '{ items, nextCursor }' }, default: problem },
      },
    },
    '/v1/uploads': {
      options: {
        summary:
          'tus discovery: Tus-Version, Tus-Extension (creation, creation-with-upload, termination) and Tus-Max-Size; no token needed',
        responses: { '204': { description: 'The protocol headers' } },
      },
      post: tusOperation({
        summary:
          'Create a resumable upload: Upload-Length, and Upload-Metadata with `caseId`, `metadata` (the intake JSON of ' +
          'the multipart upload), `sha256` (required: of the whole file), `filename`, `filetype`; nothing is stored ' +
          'unless the case is the caller’s (404) and the caller may upload there (403)',
        parameters: [
          { name: 'Upload-Length', in: 'header', required: true, schema: { type: 'integer', minimum: 0 } },
          { name: 'Upload-Metadata', in: 'header', required: true, schema: { type: 'string' } },
        ],
        responses: { '201': { description: 'Location: /v1/uploads/{uploadId}' }, default: problem },
      }),
    },
    '/v1/uploads/{uploadId}': {
      head: tusOperation({
        summary: 'Upload-Offset: the bytes the service holds (creator only; anyone else 404)',
        parameters: [uploadId],
        responses: { '200': { description: 'Upload-Offset, Upload-Length' }, default: problem },
      }),
      patch: tusOperation({
        summary:
          'Append bytes (application/offset+octet-stream) at Upload-Offset; the PATCH that brings the last byte ' +
          'completes the upload and answers 201 with `{ evidence, receipt }` (as the multipart upload)',
        parameters: [
          uploadId,
          { name: 'Upload-Offset', in: 'header', required: true, schema: { type: 'integer', minimum: 0 } },
        ],
        responses: {
          '204': { description: 'Upload-Offset: the new offset' },
          '201': { description: '{ evidence, receipt }: the last byte is in and the item committed' },
          '200': { description: '{ evidence, receipt }: a repeated final PATCH of a committed upload' },
          default: problem,
        },
      }),
      delete: tusOperation({
        summary: 'Abandon the upload: its bytes and its record are removed (an item it committed stays)',
        parameters: [uploadId],
        responses: { '204': { description: 'Removed' }, default: problem },
      }),
      get: {
        summary:
          'State of the upload (receiving, completing, committed, failed), offset and length; once committed its ' +
          '`evidenceId` and `receipt` (creator only; anyone else 404)',
        security: bearer,
        parameters: [uploadId],
        responses: { '200': { description: '{ upload }' }, default: problem },
      },
    },
    '/v1/uploads/{uploadId}/complete': {
      post: {
        summary:
          'Complete an upload whose bytes are all in (a completion whose process stopped is taken over after its ' +
          'lease): 201 `{ evidence, receipt }`, or 200 with the same when it was committed before; never a second item',
        security: bearer,
        'x-idempotency-key': false,
        parameters: [uploadId],
        responses: {
          '201': { description: '{ evidence, receipt }' },
          '200': { description: '{ evidence, receipt }' },
          default: problem,
        },
      },
    },
    '/v1/evidence/{id}': {
      get: {
        summary: 'Metadata, digests, custody state and chain head of an item',
        security: bearer,
        parameters: [evidenceId],
        responses: { '200': { description: '{ evidence }' }, default: problem },
      },
    },
    '/v1/evidence/{id}/chain': {
      get: {
        summary:
          'Every entry of the item, in order, with log index, leaf hash and the disclosures of its withheld fields (formats.md §1.1) the caller receives: all for members of the case, none for a holder or receiver who is not one',
        security: bearer,
        parameters: [evidenceId, ...queryParameters(chainQuery)],
        responses: {
          '200': {
            description:
              '{ entries: [{ index, leafHash, entry, disclosures, receipt? }] }; with receipts=true each entry carries its receipt, all against the latest checkpoint',
          },
          default: problem,
        },
      },
    },
    '/v1/evidence/{id}/content': {
      get: {
        summary:
          'The bytes (Range supported; Repr-Digest; the access is logged first, its receipt in Custody-Receipt)',
        security: bearer,
        parameters: [evidenceId],
        responses: {
          '200': { description: 'application/octet-stream' },
          '206': { description: 'one byte range' },
          default: problem,
        },
      },
    },
    '/v1/evidence/{id}/report': {
      get: {
        summary:
          'Custody report for a court, re-verified now and signed (JWS); itself an entry on the chain. Self-contained: it carries its signed checkpoint and each entry’s tlog_proof, so it verifies offline (docs/verifying.md)',
        security: bearer,
        parameters: [evidenceId],
        responses: { '200': { description: '{ report, jws }' }, default: problem },
      },
    },
    '/v1/evidence/{id}/report.pdf': {
      get: {
        summary: 'The custody report as PDF/A-3, with the signed report, receipts and keys attached',
        security: bearer,
        parameters: [
          evidenceId,
          {
            name: 'lang',
            in: 'query',
            required: false,
            description: 'Language of the fixed texts; else Accept-Language, else REPORT_LANGUAGE',
            schema: { type: 'string', enum: ['az', 'en', 'ru'] },
          },
        ],
        responses: { '200': { description: 'application/pdf' }, default: problem },
      },
    },
    '/v1/evidence/{id}/events': {
      post: {
        summary: 'Record a custody event on the item',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(custodyEventBody),
        responses: { '201': { description: '{ entry, disclosures, receipt }' }, default: problem },
      },
    },
    '/v1/evidence/{id}/fixity': {
      post: {
        summary: 'Re-hash the stored bytes now and record integrity.verified or integrity.failed',
        security: bearer,
        parameters: [evidenceId],
        responses: { '201': { description: '{ intact, entry, disclosures, receipt }' }, default: problem },
      },
    },
    '/v1/orders': {
      post: {
        summary:
          'Submit a request or order (partners: incoming requests only; the receipt acknowledges receipt)',
        security: bearer,
        requestBody: jsonBody(orderBody),
        responses: { '201': { description: '{ order, receipt }' }, default: problem },
      },
      get: {
        summary:
          'Orders you may see: soonest deadline first, lapsed ones leading and those without a deadline last (`sort=deadline`, the default), or newest first; by status, case and deadline',
        security: bearer,
        parameters: queryParameters(orderListQuery),
        responses: { '200': { description: '{ items, nextCursor }' }, default: problem },
      },
    },
    '/v1/orders/stats': {
      get: {
        summary:
          'Figures of the orders your agency handles, for implementation review (handlers and auditors; ?from=&to= on receipt)',
        description:
          'Counts by kind, direction and status; incoming requests by requesting state and outgoing by requested ' +
          'state; response times from receipt to the first decision (an order, refusal, execution, answer ...): ' +
          'median and 90th percentile in seconds, overall, by kind and by direction.',
        security: bearer,
        responses: {
          '200': {
            description:
              '{ from, to, total, byKind, byDirection, byStatus, incomingByRequestingState, outgoingByRequestedState, responseTimes }',
          },
          default: problem,
        },
      },
    },
    '/v1/orders/{id}/forward': {
      post: {
        summary:
          'Forward the order to the competent authority that executes it (the owner’s handlers; UN Art. 40(13))',
        description:
          'The executing agency then handles the order beside the owner (its handlers and auditors see it, it ' +
          'moves it and links evidence); every other agency still gets 404. An `order.forwarded` entry with a ' +
          'receipt; the requester is told that its request was forwarded, not to whom. An order with nothing ' +
          'left to execute is 409 ORDER_ENDED.',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(forwardBody),
        responses: {
          '200': { description: '{ order: { id, status, executingAgency }, receipt }' },
          default: problem,
        },
      },
    },
    '/v1/orders/{id}/referrals': {
      post: {
        summary:
          'Refer the order to the extradition authority (default the first of REFERRAL_AUTHORITIES, AZ-MOJ): an entry and a notification to it',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(referralBody),
        responses: {
          '201': { description: '{ referral: { order, authority }, receipt }' },
          default: problem,
        },
      },
    },
    '/v1/notifications': {
      get: {
        summary:
          'Notifications addressed to your agency, newest first: requests’ receipts and status changes, deadline warnings and alerts, referrals; `orderId` keeps those about one order',
        security: bearer,
        parameters: queryParameters(notificationListQuery),
        responses: { '200': { description: '{ items, nextCursor }' }, default: problem },
      },
    },
    '/v1/notifications/{id}/ack': {
      post: {
        summary: 'Acknowledge a notification addressed to your agency (the first acknowledgement is kept)',
        security: bearer,
        parameters: [evidenceId],
        responses: { '200': { description: '{ notification }' }, default: problem },
      },
    },
    '/v1/orders/{id}': {
      get: {
        summary:
          'An order with its status and deadlines, and `allowedMoves`: the transitions the caller may make now, each with what it must state (`reasonRequired`; `groundsRequired`, the grounds its `reasonCode` may name; `mlaOrderRequired`; `disclosureRequired`; `consultationRequired`, a consultation held first)',
        security: bearer,
        parameters: [evidenceId],
        responses: { '200': { description: '{ order }' }, default: problem },
      },
    },
    '/v1/orders/{id}/chain': {
      get: {
        summary:
          'The order’s history: every entry of its chain with the disclosures the caller receives (the handling side all of them; the requesting side what it submitted and the reasons and disclosures of the moves on its request, never who handled it)',
        security: bearer,
        parameters: [evidenceId],
        responses: {
          '200': { description: '{ entries: [{ index, leafHash, entry, disclosures }] }' },
          default: problem,
        },
      },
    },
    '/v1/orders/{id}/transitions': {
      post: {
        summary: 'Move an order along its lifecycle, checked against its deadlines when the move is made',
        description:
          'The table of the order’s kind and direction decides which moves exist (409 ORDER_TRANSITION_INVALID ' +
          'otherwise; a domestic preservation never waits for an MLA request). The clock decides when: a move ' +
          'after the deadline it had to beat, such as an extension after the period ended, is 409 ' +
          'ORDER_DEADLINE_PASSED; one that must wait, such as `expired` before the period ends or EPOC ' +
          'production inside the enforcing authority’s window, is 409 ORDER_DEADLINE_NOT_REACHED; both name ' +
          'the `deadline`. A lapse the deadline sweep has not recorded yet is recorded first, in the same ' +
          'change, as the sweep would. `pending_mla_decision` names the MLA request in `mlaOrderId`.',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(orderTransitionBody),
        responses: { '200': { description: '{ order, receipt }' }, default: problem },
      },
    },
    '/v1/orders/{id}/supplement': {
      post: {
        summary:
          'Supply what a request lacks, a translation, or the formal confirmation of an urgent request',
        description:
          'By the agency that submitted the request, or the handling agency on its behalf; only content fields, ' +
          'under the names of the submission. The contents are merged and checked again; the ' +
          '`order.supplemented` entry names what was supplied and what is still `missing`, and a request ' +
          'waiting in `info_requested` that now lacks nothing goes to `under_assessment` in the same change. ' +
          '`formalConfirmation` records the formal request that confirms an urgent one sent ahead through an ' +
          'expedited channel (Bud 25(3), 27(9); UN 40(14)). A finished order is 409 ORDER_CLOSED.',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(orderSupplementBody),
        responses: { '200': { description: '{ order, receipt }' }, default: problem },
      },
    },
    '/v1/orders/templates/{kind}': {
      get: {
        summary:
          'The request forms of a kind, one per direction: each field with whether it is required and the provision asking for it',
        security: bearer,
        parameters: [{ name: 'kind', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: '{ kind, forms: [{ direction, whenLacking, fields }] }' },
          default: problem,
        },
      },
    },
    '/v1/orders/{id}/consultations': {
      post: {
        summary:
          'Consult the requesting state before refusing or postponing (its handlers: `proposes`), or answer (the requesting agency: `answer`)',
        description:
          'Records `order.consulted` on the order’s chain; the requesting agency reads every consultation in ' +
          'its history. An incoming UN MLA request is refused or postponed only after one (409 ' +
          'CONSULTATION_REQUIRED; UN Art. 40(26)); under Budapest Art. 27(6) consulting is the handler’s judgement.',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(consultationBody),
        responses: { '201': { description: '{ consultation, receipt }' }, default: problem },
      },
    },
    '/v1/orders/{id}/evidence': {
      post: {
        summary: 'Link an evidence item preserved or produced under the order',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(orderEvidenceBody),
        responses: { '201': { description: '{ order, receipt }' }, default: problem },
      },
    },
    '/v1/orders/{id}/user-notice': {
      post: {
        summary:
          'Record whether the person the order concerns was told: notified, deferred until a date, or not notified',
        description:
          'A deferral or an omission names its ground (Directive 2016/680 Art. 13(3), or the requesting ' +
          'state’s request under UN Art. 42(3)(g)); a deferral ends within a year and is then reviewed. ' +
          'Notifying against the requester’s request is 409 CONDITION_FORBIDS. Handlers of the owning agency.',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(userNoticeBody),
        responses: { '201': { description: '{ userNotice, receipt }' }, default: problem },
      },
      get: {
        summary: 'The decision that stands, with `reviewDue` once a deferral has run out',
        security: bearer,
        parameters: [evidenceId],
        responses: { '200': { description: '{ userNotice }' }, default: problem },
      },
    },
    '/v1/orders/{id}/matter': {
      get: {
        summary:
          'The orders of the order’s matter the caller may see (the orders each follows from, and the MLA requests holding preserved data), oldest first',
        description:
          'Handlers see every order of the matter; the requesting side sees only its own requests, as status views. ' +
          'Each international preservation the caller handles carries `execution`: where the domestic orders ' +
          'executing it stand (`unexecuted`, `lapsed`, `renewal_needed` with `renewBy`, `in_force`, `none`).',
        security: bearer,
        parameters: [evidenceId],
        responses: { '200': { description: '{ orders }' }, default: problem },
      },
    },
    '/v1/orders/{id}/traffic-disclosures': {
      post: {
        summary:
          'Record a partial disclosure of preserved traffic data (UN 43(1), 26; Bud 30(1), 17): the path, one hop or several, never content or subscriber data',
        description:
          'By the order’s handlers, on an incoming preservation that holds data (preserved, extended, pending an ' +
          'MLA decision) or a domestic preservation in force; otherwise 409 ORDER_TRANSITION_INVALID with ' +
          '`to: traffic_disclosed`. The hops are given to the requesting party: its chain view receives them.',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(trafficDisclosureBody),
        responses: { '201': { description: '{ order, receipt }' }, default: problem },
      },
    },
    '/v1/disclosures/{id}/use-inquiries': {
      post: {
        summary:
          'Ask the recipient how the disclosed data were used (the disclosing side; Budapest Art. 28(4)): a disclosure.use_inquired entry on the case’s chain',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(useInquiryBody),
        responses: { '201': { description: '{ use, receipt }' }, default: problem },
      },
    },
    '/v1/disclosures/{id}/use-reports': {
      post: {
        summary:
          'Report the use made of the disclosed data (the recipient), answering an inquiry (`inquiryId`) or of its own accord: a disclosure.use_reported entry on the disclosing case’s chain',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(useReportBody),
        responses: { '201': { description: '{ use, receipt }' }, default: problem },
      },
    },
    '/v1/disclosures/{id}/uses': {
      get: {
        summary: 'The disclosure’s use ledger, oldest first, for both sides: inquiries and reports',
        security: bearer,
        parameters: [evidenceId],
        responses: { '200': { description: '{ items }' }, default: problem },
      },
    },
    '/v1/orders/{id}/acknowledgements': {
      post: {
        summary:
          'The custodian a preservation order names (its `custodianAgency`, in the custodian role) acknowledges its duty to keep the preservation confidential until the order’s `confidentialUntil` (UN Art. 25(3); Budapest Art. 16(3)): an order.custodian_acknowledged entry, once',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(custodianAcknowledgementBody),
        responses: { '201': { description: '{ acknowledgement, receipt }' }, default: problem },
      },
    },
    '/v1/orders/{id}/assignees': {
      post: {
        summary:
          'Assign a handler of the owning agency to the order; a confidential request is known only to its recorder, its assignees and the agency’s auditors (Budapest Art. 27(8))',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(orderAssigneeBody),
        responses: { '201': { description: '{ assignee, receipt }' }, default: problem },
      },
    },
    '/v1/orders/{id}/onward-authorisations': {
      post: {
        summary:
          'Record the supplying state’s prior authorisation to pass data received under our own request on to one named agency in one named state (UN Art. 36(3)); a disclosure to exactly that recipient is then allowed, and the supplier’s conditions go with it',
        security: bearer,
        parameters: [evidenceId],
        requestBody: jsonBody(onwardAuthorisationBody),
        responses: { '201': { description: '{ onwardAuthorisation, receipt }' }, default: problem },
      },
    },
    '/v1/principals/{sub}/disable': {
      post: {
        summary: 'Disable a principal (admin): every process refuses its tokens from the next request',
        security: bearer,
        parameters: [subPath],
        requestBody: jsonBody(principalStatusBody),
        responses: { '200': { description: '{ principal, receipt }' }, default: problem },
      },
    },
    '/v1/principals/{sub}/enable': {
      post: {
        summary: 'Enable a disabled principal again (admin)',
        security: bearer,
        parameters: [subPath],
        requestBody: jsonBody(principalStatusBody),
        responses: { '200': { description: '{ principal, receipt }' }, default: problem },
      },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } },
    },
    '/v1/log/checkpoint': {
      get: {
        summary: 'The latest signed checkpoint (C2SP tlog-checkpoint signed note)',
        responses: { '200': { description: 'text/plain signed note' } },
      },
    },
    '/v1/log/info': {
      get: {
        summary: 'Origin, checkpoint verifier key (vkey), tree size and root',
        responses: { '200': { description: '{ origin, vkey, size, root, jwksUri }' } },
      },
    },
    '/v1/log/proof/inclusion': {
      get: {
        summary: 'RFC 6962 inclusion proof (base64 hashes, leaf sibling first)',
        parameters: [position('index', true), position('size', false)],
        responses: { '200': { description: '{ index, size, proof }' }, default: problem },
      },
    },
    '/v1/log/proof/consistency': {
      get: {
        summary: 'RFC 6962 consistency proof between two tree sizes',
        parameters: [position('from', true), position('to', true)],
        responses: { '200': { description: '{ from, to, proof }' }, default: problem },
      },
    },
    '/v1/log/tile/{L}/{N}': {
      get: {
        summary:
          'A full C2SP tlog-tiles hash tile: 256 hashes of tree level 8·L, 32 bytes each (8,192 bytes); ' +
          'immutable. Entry bundles (tile/entries/...) are not published: entries hold confidential case data',
        parameters: tileParameters(false),
        responses: {
          '200': {
            description: 'application/octet-stream, Cache-Control: public, max-age=31536000, immutable',
          },
          default: problem,
        },
      },
    },
    '/v1/log/tile/{L}/{N}.p/{W}': {
      get: {
        summary:
          'A partial C2SP tlog-tiles hash tile: the first W hashes of tile N (a fixed prefix of the full tile, ' +
          'so immutable too); 404 NOT_FOUND while the tree holds fewer',
        parameters: tileParameters(true),
        responses: {
          '200': {
            description: 'application/octet-stream, Cache-Control: public, max-age=31536000, immutable',
          },
          default: problem,
        },
      },
    },
    '/v1/log/entries/{index}/tlog-proof': {
      get: {
        summary: 'C2SP tlog-proof of an entry against the latest checkpoint',
        parameters: [{ ...position('index', true), in: 'path' }],
        responses: { '200': { description: 'text/plain tlog-proof' }, default: problem },
      },
    },
    '/v1/log/entries/{index}': {
      get: {
        summary:
          'One log entry with its leaf hash and the disclosures of its withheld fields the caller receives (404 outside your need-to-know; key entries: public fields only)',
        security: bearer,
        parameters: [{ ...position('index', true), in: 'path' }],
        responses: { '200': { description: '{ index, leafHash, entry, disclosures }' }, default: problem },
      },
    },
    '/v1/log/entries/{index}/receipt': {
      get: {
        summary:
          'A receipt for the entry again, against the latest checkpoint (a write whose answer was lost); 404 outside your need-to-know',
        security: bearer,
        parameters: [{ ...position('index', true), in: 'path' }],
        responses: { '200': { description: '{ index, receipt }' }, default: problem },
      },
    },
    '/.well-known/jwks.json': {
      get: {
        summary:
          'Receipt keys, current and retired; each key may carry `retired_at` and `compromised_at` (RFC 3339, docs/verifying.md)',
        responses: { '200': { description: 'JWKS' } },
      },
    },
    '/v1/receipts/verify': {
      post: {
        summary: 'Verify a receipt: signature, leaf hash, checkpoint, inclusion, origin',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { type: 'object', required: ['receipt'], properties: { receipt: { type: 'string' } } },
            },
          },
        },
        responses: {
          '200': {
            description:
              'The five checks; `reason` names the first that failed (docs/verifying.md, failure codes)',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['valid', 'checks'],
                  properties: {
                    valid: { type: 'boolean' },
                    checks: {
                      type: 'object',
                      properties: Object.fromEntries(
                        ['signature', 'leafHash', 'checkpoint', 'inclusion', 'origin'].map((check) => [
                          check,
                          { type: 'boolean' },
                        ]),
                      ),
                    },
                    reason: { type: 'string', enum: [...VERIFY_CODES] },
                  },
                },
              },
            },
          },
          default: problem,
        },
      },
    },
    '/verify': {
      get: {
        summary:
          'The verifier page: checks a package, receipt or custody report in the browser, with no sign-in and no network',
        responses: { '200': { description: 'text/html, self-contained' } },
      },
    },
    '/console/config.json': {
      get: {
        summary:
          'How the console signs people in: the OpenID provider (issuer, public client id, scope, RFC 8707 resource) or null, and whether development sign-in is on; no secrets, no token',
        responses: {
          '200': {
            description: 'The console’s sign-in settings',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['oidc', 'devSignIn'],
                  properties: {
                    oidc: {
                      oneOf: [
                        { type: 'null' },
                        {
                          type: 'object',
                          required: ['issuer', 'clientId', 'scope', 'resource'],
                          properties: Object.fromEntries(
                            ['issuer', 'clientId', 'scope', 'resource'].map((name) => [
                              name,
                              { type: 'string' },
                            ]),
                          ),
                        },
                      ],
                    },
                    devSignIn: { type: 'boolean' },
                  },
                },
              },
            },
          },
        },
      },
    },
    '/console/dev-sign-in': {
      post: {
        summary:
          'Development sign-in, for a local trial only: a token from the built-in issuer for the subject, agency and role asked. ' +
          'Only with CONSOLE_DEV_SIGNIN=true, from a loopback connection no proxy forwarded, addressed to a loopback name; ' +
          'otherwise 404 ROUTE_NOT_FOUND, as for an unknown route. Failing bodies are 422 VALIDATION_FAILED',
        requestBody: jsonBody(devSignInBody),
        responses: {
          '200': { description: '{ accessToken, expiresIn, principal: { sub, agency, roles } }' },
          default: problem,
        },
      },
    },
    '/openapi.json': {
      get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1 (JSON)' } } },
    },
    '/healthz': { get: { summary: 'The process is up', responses: { '200': { description: 'ok' } } } },
    '/readyz': {
      get: {
        summary:
          'The database is reachable, the log signs and the service is not draining; 503 with `reason` when the log halted',
        responses: { '200': { description: '{ status: "ready", dataChecksums }' }, '503': problem },
      },
    },
  } as const),
} as const;
