import path from 'node:path';
import { z } from 'zod';
import { type FaultPlan, FaultSpecError, parseFaultPoints } from './faults';
import { isLoopbackHost } from './loopback';
import type { WarningLeads } from './orders/deadline-warnings';
import type { DeadlinePeriods } from './orders/deadlines';
import { canonicalTimeZone } from './orders/event-time';
import { AUTHORISABLE_KINDS, EU_ROLES, type LegalSettings, RESERVABLE } from './orders/legal-settings';
import { ORDER_KINDS, type OrderKind } from './orders/lifecycle';
import { EU_2023_1543_STATES } from './orders/states-parties';
import { REPORT_LANGUAGES, type ReportLanguage } from './reports/messages';
import { largestUploadBytes } from './storage/s3-part-size';

export interface RateLimitSettings {
  /** Any requests of one principal. */
  readonly principalPerMinute: number;
  /** Any requests from one source address. */
  readonly addressPerMinute: number;
  /** Refused tokens from one source address: guessing credentials. */
  readonly failedTokensPerMinute: number;
  /** "Not found" answers to one principal: guessing ids. */
  readonly notFoundPerMinute: number;
}

/** Log origins are schema-less URLs (C2SP tlog-checkpoint): no spaces, no `+`, no scheme. */
const ORIGIN = /^[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:\/[A-Za-z0-9._~%!$&'()*,;=:@-]+)*$/;

/** Agency codes (as in access/roles.ts, repeated here so configuration depends on nothing). */
const AGENCY_CODE_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,31}$/;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const postgresUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(?:ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL');

/** Settings that mean something only as a pair: one without the other is refused, naming the one missing. */
function requireTogether(
  env: Record<string, unknown>,
  ctx: z.RefinementCtx,
  first: string,
  second: string,
): void {
  if (Boolean(env[first]) === Boolean(env[second])) return;
  ctx.addIssue({
    code: 'custom',
    path: [env[first] ? second : first],
    message: `${first} and ${second} must be set together`,
  });
}

/** A comma-separated list of values from `values`, each once; `none` (or nothing) is the empty list. */
function listOf<const T extends readonly [string, ...string[]]>(values: T, fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((value) =>
      value.trim() === 'none'
        ? []
        : value
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item !== ''),
    )
    .pipe(
      z
        .array(z.enum(values))
        .refine((items) => new Set(items).size === items.length, 'must name each value once'),
    );
}

const ISO_STATE = /^[A-Z]{2}$/;

const seconds = (fallback: number, max: number) => z.coerce.number().int().min(0).max(max).default(fallback);

/**
 * Every environment variable the service reads, with its default. The README's
 * configuration table lists the same settings and defaults (test/unit/config.test.ts checks).
 */
export const configSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    TRUST_PROXY: z
      .string()
      .regex(
        /^(?:\d{1,2}|(?:loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+)(?:\s*,\s*(?:loopback|linklocal|uniquelocal|[0-9a-fA-F.:/]+))*)$/,
      )
      .optional(),
    DATABASE_URL: postgresUrl.optional(),
    DATABASE_OWNER_URL: postgresUrl.optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
    ALLOW_UNDURABLE_DATABASE: z.enum(['true', 'false']).default('false'),
    DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
    LOG_ORIGIN: z
      .string()
      .regex(ORIGIN, 'must be a schema-less URL without spaces or "+"')
      .default('localhost/custody-ledger'),
    LOG_LEVEL: z.enum(LEVELS).default('info'),
    TOKEN_ISSUER: z.string().min(1).default('urn:custody-ledger:issuer'),
    TOKEN_AUDIENCE: z.string().min(1).default('custody-ledger'),
    TOKEN_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    TOKEN_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
    TOKEN_CLOCK_TOLERANCE_SECONDS: seconds(30, 300),
    OIDC_ISSUER: z.string().url().optional(),
    OIDC_JWKS_URL: z.string().url().optional(),
    OIDC_AUDIENCE: z.string().min(1).optional(),
    OIDC_ALGORITHMS: z
      .string()
      .default('RS256,PS256,ES256,EdDSA')
      .transform((value) => value.split(',').map((alg) => alg.trim()))
      .pipe(
        z
          .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']))
          .min(1),
      ),
    // The console's public client at the provider (no secret: the browser keeps none).
    OIDC_CLIENT_ID: z.string().min(1).max(255).optional(),
    OIDC_SCOPE: z
      .string()
      .regex(
        /^[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*$/,
        'must be space-separated scope tokens',
      )
      .max(1024)
      .refine((scope) => scope.split(' ').includes('openid'), 'must include openid')
      .default('openid'),
    OIDC_RESOURCE: z.string().url().max(2048).optional(),
    CONSOLE_DEV_SIGNIN: z.enum(['true', 'false']).default('false'),
    LOG_MAX_BATCH: z.coerce.number().int().min(1).max(4096).default(512),
    LOG_MAX_QUEUE: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
    BLOB_DIR: z.string().min(1).optional(),
    BLOB_MIN_FREE_BYTES: z.coerce
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .default(256 * 1024 ** 2),
    BLOB_STORE: z.enum(['fs', 's3']).default('fs'),
    S3_ENDPOINT: z.string().url().optional(),
    S3_REGION: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/)
      .default('us-east-1'),
    S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')
      .optional(),
    S3_PREFIX: z
      .string()
      .max(256)
      .regex(/^(?:[A-Za-z0-9!_.*'()-]+\/)+$/, 'must be path segments, each ending in "/"')
      .optional(),
    S3_ACCESS_KEY_ID: z.string().min(1).max(128).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).max(256).optional(),
    S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
    // S3's smallest part is 5 MiB; parts start at this size and double every 1,000 parts.
    S3_PART_SIZE_MIB: z.coerce.number().int().min(5).max(256).default(16),
    S3_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    S3_STAGING_MAX_AGE_HOURS: z.coerce.number().int().min(1).max(8760).default(24),
    S3_OBJECT_LOCK_MODE: z.enum(['GOVERNANCE', 'COMPLIANCE']).optional(),
    S3_OBJECT_LOCK_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
    TILES_PUBLISH: z.enum(['off', 's3']).default('off'),
    TILES_S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')
      .optional(),
    TILES_S3_PREFIX: z
      .string()
      .max(256)
      .regex(/^(?:[A-Za-z0-9!_.*'()-]+\/)+$/, 'must be path segments, each ending in "/"')
      .default('tiles/'),
    TILES_PUBLISH_INTERVAL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(10_000),
    EVIDENCE_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(Number.MAX_SAFE_INTEGER)
      .default(2 * 1024 ** 4),
    EVIDENCE_METADATA_MAX_BYTES: z.coerce.number().int().min(1024).max(1_048_576).default(65_536),
    UPLOAD_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
    // About 7 MB and up to 3 worker threads each: 32 bound an upload burst to ~250 MB and ~100 threads.
    UPLOAD_MAX_CONCURRENT: z.coerce.number().int().min(1).max(10_000).default(32),
    UPLOAD_DIR: z.string().min(1).optional(),
    UPLOAD_EXPIRY_HOURS: z.coerce.number().int().min(1).max(8760).default(168),
    UPLOAD_MAX_OPEN_PER_PRINCIPAL: z.coerce.number().int().min(1).max(10_000).default(8),
    // Renewed while a completion runs; a completion whose process stopped is taken over once it ran out.
    UPLOAD_COMPLETION_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
    // Longer than any intake takes from linking its bytes to committing its row.
    BLOB_ORPHAN_GRACE_MS: z.coerce.number().int().min(60_000).max(2_592_000_000).default(3_600_000),
    CENTRAL_AUTHORITY: z.string().regex(AGENCY_CODE_PATTERN).default('AZ-SSS'),
    // The law of the deploying state where the instruments leave a choice (src/orders/legal-settings.ts).
    THIS_STATE: z.string().regex(ISO_STATE, 'must be an ISO 3166-1 alpha-2 code').default('AZ'),
    EU_ROLES: listOf(EU_ROLES, 'none'),
    RESERVATIONS: listOf(RESERVABLE, 'none'),
    ORDER_AUTHORISATION_REQUIRED: listOf(AUTHORISABLE_KINDS, 'production'),
    UNC_PARTIES: z
      .string()
      .transform((value) => value.split(',').map((item) => item.trim()))
      .pipe(z.array(z.string().regex(ISO_STATE, 'must be ISO 3166-1 alpha-2 codes')))
      .optional(),
    ORDER_PRESERVATION_INTERNATIONAL_DAYS: z.coerce.number().int().min(1).max(3650).default(60),
    ORDER_PRESERVATION_DOMESTIC_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
    ORDER_EPOC_DAYS: z.coerce.number().int().min(1).max(365).default(10),
    ORDER_EPOC_EMERGENCY_HOURS: z.coerce.number().int().min(1).max(720).default(8),
    ORDER_EPOC_PR_DAYS: z.coerce.number().int().min(1).max(3650).default(60),
    ORDER_EPOC_PR_EXTENSION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
    ORDER_ENFORCING_DAYS: z.coerce.number().int().min(1).max(365).default(10),
    ORDER_ENFORCING_EMERGENCY_HOURS: z.coerce.number().int().min(1).max(720).default(96),
    ORDER_EPOC_TRANSMIT_HOURS: z.coerce.number().int().min(1).max(720).default(24),
    ORDER_URGENT_ACT_BY_HOURS: z.coerce.number().int().min(1).max(720).default(24),
    ORDER_EMERGENCY_ACT_BY_HOURS: z.coerce.number().int().min(1).max(720).default(8),
    ORDER_FORMAL_CONFIRMATION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    // UN Art. 40(14): the languages requests are accepted in (ISO 639-1 codes, comma-separated).
    ACCEPTED_REQUEST_LANGUAGES: z
      .string()
      .regex(/^[a-z]{2,3}(,[a-z]{2,3})*$/)
      .default('az,en,ru')
      .transform((list) => list.split(',')),
    ORDER_DEADLINE_WARNING_HOURS: z.coerce.number().int().min(0).max(8760).default(24),
    // Early warning of a deadline (row 62): days ahead, for every kind, and per kind as `kind=days,...`.
    ORDER_WARNING_DAYS: z.coerce.number().int().min(0).max(365).default(10),
    ORDER_WARNING_DAYS_BY_KIND: z
      .string()
      .optional()
      .transform((value, ctx) => (value === undefined ? undefined : warningDaysByKind(value, ctx))),
    // Where an order may be referred for extradition and provisional arrest, the first the default (AZ: Ministry of Justice).
    REFERRAL_AUTHORITIES: z
      .string()
      .default('AZ-MOJ')
      .transform((value) => value.split(',').map((code) => code.trim()))
      .pipe(z.tuple([z.string().regex(AGENCY_CODE_PATTERN)], z.string().regex(AGENCY_CODE_PATTERN))),
    // The deployment's IANA zone: an order's time zone when its source names none (legal row 59).
    TIME_ZONE: z
      .string()
      .refine((name) => canonicalTimeZone(name) !== undefined, 'must be an IANA time zone')
      .transform((name) => canonicalTimeZone(name) as string)
      .default('Asia/Baku'),
    // The member state's public holidays, for the EU periods in days (Reg. 1182/71 Arts 2, 3(4)).
    PUBLIC_HOLIDAYS: z
      .string()
      .transform((list) => list.split(',').map((day) => day.trim()))
      .pipe(z.array(z.iso.date()))
      .optional(),
    REPORT_MAX_HOLDER_GAP_HOURS: z.coerce.number().int().min(1).max(8760).default(48),
    // The language of a court report's fixed texts when the request names none (Azerbaijani courts first).
    REPORT_LANGUAGE: z.enum(REPORT_LANGUAGES).default('az'),
    // Where readers reach the service: the court PDF prints `<this>/verify` with a QR code.
    PUBLIC_BASE_URL: z
      .string()
      .url()
      .refine((value) => /^https?:\/\//.test(value), 'must be an http:// or https:// URL')
      .optional(),
    BREAK_GLASS_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
    FIXITY_SWEEP_INTERVAL_SECONDS: seconds(86_400, 31_536_000),
    // The IETF draft asks clients to expect keys kept at least 24 hours.
    IDEMPOTENCY_KEY_RETENTION_HOURS: z.coerce.number().int().min(24).max(8760).default(24),
    RATE_LIMIT_PRINCIPAL_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(6000),
    RATE_LIMIT_ADDRESS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(30_000),
    RATE_LIMIT_FAILED_TOKENS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(60),
    RATE_LIMIT_NOT_FOUND_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(300),
    BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(65_536),
    SHUTDOWN_GRACE_SECONDS: seconds(25, 600),
  })
  .superRefine((env, ctx) => {
    if (env.TOKEN_TTL_SECONDS > env.TOKEN_MAX_LIFETIME_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['TOKEN_TTL_SECONDS'],
        message: 'must not exceed TOKEN_MAX_LIFETIME_SECONDS',
      });
    }
    if (env.DATABASE_OWNER_URL && !env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_URL'],
        message: 'must be set with DATABASE_OWNER_URL',
      });
    }
    requireTogether(env, ctx, 'OIDC_ISSUER', 'OIDC_JWKS_URL');
    if (env.OIDC_CLIENT_ID && !env.OIDC_ISSUER) {
      ctx.addIssue({ code: 'custom', path: ['OIDC_ISSUER'], message: 'must be set with OIDC_CLIENT_ID' });
    }
    // RFC 8707 §2: a resource indicator is an absolute URI without a fragment.
    const resource = env.OIDC_RESOURCE ?? env.OIDC_AUDIENCE ?? env.TOKEN_AUDIENCE;
    if (env.OIDC_CLIENT_ID && !isResourceIndicator(resource)) {
      ctx.addIssue({
        code: 'custom',
        path: ['OIDC_RESOURCE'],
        message: 'must be an absolute URI without a fragment (it defaults to the OIDC audience)',
      });
    }
    // Minting tokens for anyone who asks is tolerable only where nobody else can ask.
    if (env.CONSOLE_DEV_SIGNIN === 'true' && !isLoopbackHost(env.HOST)) {
      ctx.addIssue({
        code: 'custom',
        path: ['CONSOLE_DEV_SIGNIN'],
        message: 'must not be true unless HOST is a loopback address (127.0.0.1, ::1 or localhost)',
      });
    }
    // Only an EU member state bound by the Regulation has issuing and enforcing authorities under it.
    if (
      env.EU_ROLES.some((role) => role === 'issuing_authority' || role === 'enforcing_authority') &&
      !EU_2023_1543_STATES.includes(env.THIS_STATE)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['EU_ROLES'],
        message: 'names an EU authority, but THIS_STATE is not bound by Regulation 2023/1543',
      });
    }
    if (env.BLOB_STORE === 's3' && !env.S3_BUCKET) {
      ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'must be set when BLOB_STORE=s3' });
    }
    requireTogether(env, ctx, 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY');
    requireTogether(env, ctx, 'S3_OBJECT_LOCK_MODE', 'S3_OBJECT_LOCK_DAYS');
    if (env.TILES_PUBLISH === 's3' && !env.TILES_S3_BUCKET && !env.S3_BUCKET) {
      ctx.addIssue({
        code: 'custom',
        path: ['TILES_S3_BUCKET'],
        message: 'or S3_BUCKET must be set when TILES_PUBLISH=s3',
      });
    }
    // In the evidence bucket, the published objects must stay clear of the store's own keys.
    const tilesBucket = env.TILES_S3_BUCKET ?? env.S3_BUCKET;
    const evidencePrefix = env.S3_PREFIX ?? '';
    if (
      env.TILES_PUBLISH === 's3' &&
      env.BLOB_STORE === 's3' &&
      tilesBucket === env.S3_BUCKET &&
      [`${evidencePrefix}sha256/`, `${evidencePrefix}staging/`].some((taken) =>
        env.TILES_S3_PREFIX.startsWith(taken),
      )
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['TILES_S3_PREFIX'],
        message: 'must not lie under the evidence store’s keys (S3_PREFIX’s sha256/ or staging/)',
      });
    }
  });

/**
 * Where the log's tiles and checkpoint are published for static serving:
 * the S3 connection settings (S3_*) with their own bucket and prefix.
 */
export interface TilePublishSettings {
  readonly target: Omit<S3StoreSettings, 'partBytes' | 'stagingMaxAgeMs' | 'objectLock'>;
  /** How often a round publishes what the log gained. */
  readonly intervalMs: number;
}

/** The S3 (or S3-compatible) bucket that keeps evidence bytes when BLOB_STORE=s3. */
export interface S3StoreSettings {
  readonly bucket: string;
  /** Key prefix of everything the store writes: '' or segments ending in '/'. */
  readonly prefix: string;
  readonly region: string;
  /** A compatible server's URL; absent: AWS's endpoint for the region. */
  readonly endpoint: string | undefined;
  readonly forcePathStyle: boolean;
  /** Absent: the SDK's default credential chain. Never logged. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  readonly partBytes: number;
  readonly requestTimeoutMs: number;
  readonly stagingMaxAgeMs: number;
  readonly objectLock: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly days: number } | undefined;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  /**
   * Which proxies' X-Forwarded-For to believe for the source address (Express
   * `trust proxy`: a hop count, or addresses, subnets and loopback/uniquelocal).
   * Absent: the socket's peer is the source, and forwarded headers are ignored.
   */
  readonly trustProxy: string | undefined;
  /** Absent means: run the embedded PostgreSQL under `dataDir/postgres`. */
  readonly databaseUrl: string | undefined;
  /**
   * The schema owner, for migrations; the service then works as the
   * least-privileged role of DATABASE_URL. Absent: DATABASE_URL does both.
   */
  readonly databaseOwnerUrl: string | undefined;
  readonly dataDir: string;
  readonly embeddedPostgresPort: number;
  /**
   * Start even when PostgreSQL could lose acknowledged writes (`fsync`,
   * `synchronous_commit` or `full_page_writes` off): for development only.
   */
  readonly allowUndurableDatabase: boolean;
  /** Longest a statement of the service may run before PostgreSQL cancels it (503, never a hang). */
  readonly databaseStatementTimeoutMs: number;
  readonly logOrigin: string;
  readonly logLevel: (typeof LEVELS)[number];
  /** Group commit: most appends per transaction, and most waiting before PUSHBACK. */
  readonly logMaxBatch: number;
  readonly logMaxQueue: number;
  readonly bodyLimitBytes: number;
  /** Requests per minute, shared by every process of a deployment (api.md: rate limits). */
  readonly rateLimits: RateLimitSettings;
  /** The content-addressed evidence store (default DATA_DIR/blobs): put it on the volume meant for evidence. */
  readonly blobDir: string;
  /** Below this much free space on the evidence volume, `/readyz` says writes cannot succeed. */
  readonly blobMinFreeBytes: number;
  /** Where evidence bytes are kept: absent, on the filesystem under `blobDir`; else in this bucket. */
  readonly s3: S3StoreSettings | undefined;
  readonly evidenceMaxBytes: number;
  readonly evidenceMetadataMaxBytes: number;
  /**
   * A connection whose peer moves no byte for this long while the service waits
   * on it (a request body not in, a response not taken) is dropped; there is no
   * bound on a request's total time, so an upload of any size at any speed works.
   */
  readonly uploadIdleTimeoutMs: number;
  /** Uploads one process receives at once; beyond it 503 PUSHBACK before the body is read. */
  readonly uploadMaxConcurrent: number;
  /** Stored bytes no item references are removed once their file is older than this (orphan reconciler). */
  readonly blobOrphanGraceMs: number;
  /**
   * Resumable (tus) uploads: where their bytes are received (default DATA_DIR/uploads; every process of a
   * deployment must see the same directory, on the evidence volume), how long an upload may stay open
   * before it is removed, how many one principal may have open, and the lease of a running completion.
   */
  readonly resumableUploads: {
    readonly dir: string;
    readonly expiryMs: number;
    readonly maxOpenPerPrincipal: number;
    readonly completionLeaseMs: number;
  };
  /** The central authority and 24/7 point of contact: owner of incoming requests from partners. */
  readonly centralAuthority: string;
  /** This state, its EU roles, reservations and authorisation rules (defaults: an Azerbaijani deployment's). */
  readonly legal: LegalSettings;
  /** Legal periods for order deadlines (domestic law differs; defaults are the conventions'). */
  readonly orderPeriods: DeadlinePeriods;
  /** The languages requests are accepted in (UN Art. 40(14)): a request in another needs a translation. */
  readonly acceptedRequestLanguages: readonly string[];
  /** How long before an order's deadline the sweep starts warning. */
  readonly orderDeadlineWarningMs: number;
  /** How long before an order's deadline its early warning goes out (notified once per deadline). */
  readonly orderWarningLeads: WarningLeads;
  /** The authorities an order may be referred to (extradition, provisional arrest); the first is the default. */
  readonly referralAuthorities: readonly [string, ...string[]];
  /** The deployment's IANA time zone: the zone of an order whose source names none. */
  readonly timeZone: string;
  /** Custody reports flag an item without a holder (in transit) for longer than this. */
  readonly reportMaxHolderGapMs: number;
  /** The language of a court report when the request asks for none. */
  readonly reportLanguage: ReportLanguage;
  /** The service's address as readers reach it; the court PDF links `<this>/verify`. */
  readonly publicBaseUrl: string;
  /** How long a break-glass opening of a case lasts. */
  readonly breakGlassMs: number;
  /** How often every stored item is re-hashed (0: never). */
  readonly fixitySweepIntervalMs: number;
  /** Where the log's tiles and checkpoint are published for a CDN or static server; absent: not published. */
  readonly tilePublishing: TilePublishSettings | undefined;
  /** How long an Idempotency-Key and its answer are kept (a retry within it gets the first answer). */
  readonly idempotencyKeyRetentionMs: number;
  readonly shutdownGraceMs: number;
  /**
   * FAULT_POINTS (src/faults.ts), for tests and benchmarks only: empty unless
   * set, and refused when NODE_ENV=production. Outside `configSchema` because
   * it is not a setting an operator has (the README's table lists those).
   */
  readonly faultPoints: FaultPlan;
  readonly tokens: {
    readonly issuer: string;
    readonly audience: string;
    /** Lifetime of built-in tokens from `npm run token`. */
    readonly ttlSeconds: number;
    /** Longest `exp - iat` accepted from any issuer, and the oldest `iat` (RFC 8725 §3.10: short-lived tokens). */
    readonly maxLifetimeSeconds: number;
    readonly clockToleranceSeconds: number;
    readonly oidc:
      | {
          readonly issuer: string;
          readonly jwksUrl: string;
          readonly audience: string;
          readonly algorithms: string[];
        }
      | undefined;
  };
  /** How the web console signs people in. */
  readonly console: {
    /** The provider's authorization code flow (PKCE, public client); absent without OIDC_CLIENT_ID. */
    readonly oidc:
      | {
          readonly issuer: string;
          readonly clientId: string;
          readonly scope: string;
          /** RFC 8707 resource indicator the console asks tokens for. */
          readonly resource: string;
        }
      | undefined;
    /** Tokens from the built-in issuer for whoever asks from this host: a local trial only (HOST is loopback). */
    readonly devSignIn: boolean;
  };
}

/** Configuration could not be read; `variable` names the first offending environment variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`invalid configuration: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment once; returns a frozen, typed configuration. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, so `FOO= npm start` behaves like no FOO at all.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(String(issue?.path[0] ?? 'environment'), issue?.message ?? 'is invalid');
  }
  const e = parsed.data;
  const faultPoints = faultPointsOf(env);
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    trustProxy: e.TRUST_PROXY,
    databaseUrl: e.DATABASE_URL,
    databaseOwnerUrl: e.DATABASE_OWNER_URL,
    dataDir: path.resolve(e.DATA_DIR),
    embeddedPostgresPort: e.EMBEDDED_PG_PORT,
    allowUndurableDatabase: e.ALLOW_UNDURABLE_DATABASE === 'true',
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    logOrigin: e.LOG_ORIGIN,
    logLevel: e.LOG_LEVEL,
    logMaxBatch: e.LOG_MAX_BATCH,
    logMaxQueue: e.LOG_MAX_QUEUE,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    rateLimits: {
      principalPerMinute: e.RATE_LIMIT_PRINCIPAL_PER_MINUTE,
      addressPerMinute: e.RATE_LIMIT_ADDRESS_PER_MINUTE,
      failedTokensPerMinute: e.RATE_LIMIT_FAILED_TOKENS_PER_MINUTE,
      notFoundPerMinute: e.RATE_LIMIT_NOT_FOUND_PER_MINUTE,
    },
    blobDir: path.resolve(e.BLOB_DIR ?? path.join(e.DATA_DIR, 'blobs')),
    blobMinFreeBytes: e.BLOB_MIN_FREE_BYTES,
    s3: s3Settings(e),
    evidenceMaxBytes: evidenceMaxBytes(e, present.EVIDENCE_MAX_BYTES !== undefined),
    evidenceMetadataMaxBytes: e.EVIDENCE_METADATA_MAX_BYTES,
    uploadIdleTimeoutMs: e.UPLOAD_IDLE_TIMEOUT_MS,
    uploadMaxConcurrent: e.UPLOAD_MAX_CONCURRENT,
    blobOrphanGraceMs: e.BLOB_ORPHAN_GRACE_MS,
    resumableUploads: {
      dir: path.resolve(e.UPLOAD_DIR ?? path.join(e.DATA_DIR, 'uploads')),
      expiryMs: e.UPLOAD_EXPIRY_HOURS * 3_600_000,
      maxOpenPerPrincipal: e.UPLOAD_MAX_OPEN_PER_PRINCIPAL,
      completionLeaseMs: e.UPLOAD_COMPLETION_LEASE_SECONDS * 1000,
    },
    fixitySweepIntervalMs: e.FIXITY_SWEEP_INTERVAL_SECONDS * 1000,
    tilePublishing: tilePublishSettings(e),
    idempotencyKeyRetentionMs: e.IDEMPOTENCY_KEY_RETENTION_HOURS * 3_600_000,
    breakGlassMs: e.BREAK_GLASS_SECONDS * 1000,
    centralAuthority: e.CENTRAL_AUTHORITY,
    legal: {
      thisState: e.THIS_STATE,
      euRoles: e.EU_ROLES,
      reservations: e.RESERVATIONS,
      authorisationRequired: e.ORDER_AUTHORISATION_REQUIRED,
      uncParties: e.UNC_PARTIES,
    },
    reportMaxHolderGapMs: e.REPORT_MAX_HOLDER_GAP_HOURS * 3_600_000,
    reportLanguage: e.REPORT_LANGUAGE,
    publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://127.0.0.1:${e.PORT}`,
    orderDeadlineWarningMs: e.ORDER_DEADLINE_WARNING_HOURS * 3_600_000,
    orderWarningLeads: { days: e.ORDER_WARNING_DAYS, byKind: e.ORDER_WARNING_DAYS_BY_KIND ?? {} },
    referralAuthorities: e.REFERRAL_AUTHORITIES,
    timeZone: e.TIME_ZONE,
    orderPeriods: {
      internationalPreservationDays: e.ORDER_PRESERVATION_INTERNATIONAL_DAYS,
      domesticPreservationDays: e.ORDER_PRESERVATION_DOMESTIC_DAYS,
      epocDays: e.ORDER_EPOC_DAYS,
      epocEmergencyHours: e.ORDER_EPOC_EMERGENCY_HOURS,
      epocPrDays: e.ORDER_EPOC_PR_DAYS,
      epocPrExtensionDays: e.ORDER_EPOC_PR_EXTENSION_DAYS,
      enforcingDays: e.ORDER_ENFORCING_DAYS,
      enforcingEmergencyHours: e.ORDER_ENFORCING_EMERGENCY_HOURS,
      epocTransmitHours: e.ORDER_EPOC_TRANSMIT_HOURS,
      urgentActByHours: e.ORDER_URGENT_ACT_BY_HOURS,
      emergencyActByHours: e.ORDER_EMERGENCY_ACT_BY_HOURS,
      formalConfirmationDays: e.ORDER_FORMAL_CONFIRMATION_DAYS,
      publicHolidays: e.PUBLIC_HOLIDAYS ?? [],
    },
    acceptedRequestLanguages: e.ACCEPTED_REQUEST_LANGUAGES,
    shutdownGraceMs: e.SHUTDOWN_GRACE_SECONDS * 1000,
    faultPoints,
    tokens: {
      issuer: e.TOKEN_ISSUER,
      audience: e.TOKEN_AUDIENCE,
      ttlSeconds: e.TOKEN_TTL_SECONDS,
      maxLifetimeSeconds: e.TOKEN_MAX_LIFETIME_SECONDS,
      clockToleranceSeconds: e.TOKEN_CLOCK_TOLERANCE_SECONDS,
      oidc:
        e.OIDC_ISSUER && e.OIDC_JWKS_URL
          ? {
              issuer: e.OIDC_ISSUER,
              jwksUrl: e.OIDC_JWKS_URL,
              audience: e.OIDC_AUDIENCE ?? e.TOKEN_AUDIENCE,
              algorithms: e.OIDC_ALGORITHMS,
            }
          : undefined,
    },
    console: consoleSettings(e),
  };
  return deepFreeze(config);
}

/** How to reach the S3 server (the evidence bucket's and the published tiles' alike). */
function s3Connection(e: z.infer<typeof configSchema>) {
  return {
    region: e.S3_REGION,
    endpoint: e.S3_ENDPOINT,
    forcePathStyle: e.S3_FORCE_PATH_STYLE === 'true',
    credentials:
      e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
        : undefined,
    requestTimeoutMs: e.S3_REQUEST_TIMEOUT_MS,
  };
}

function isResourceIndicator(value: string): boolean {
  try {
    new URL(value);
  } catch {
    return false;
  }
  return !value.includes('#');
}

/** What the console offers for signing in (`GET /console/config.json`). */
function consoleSettings(e: z.infer<typeof configSchema>): Config['console'] {
  return {
    oidc:
      e.OIDC_CLIENT_ID && e.OIDC_ISSUER
        ? {
            issuer: e.OIDC_ISSUER,
            clientId: e.OIDC_CLIENT_ID,
            scope: e.OIDC_SCOPE,
            resource: e.OIDC_RESOURCE ?? e.OIDC_AUDIENCE ?? e.TOKEN_AUDIENCE,
          }
        : undefined,
    devSignIn: e.CONSOLE_DEV_SIGNIN === 'true',
  };
}

function s3Settings(e: z.infer<typeof configSchema>): S3StoreSettings | undefined {
  if (e.BLOB_STORE !== 's3' || !e.S3_BUCKET) return undefined;
  return {
    bucket: e.S3_BUCKET,
    prefix: e.S3_PREFIX ?? '',
    ...s3Connection(e),
    partBytes: e.S3_PART_SIZE_MIB * 1024 ** 2,
    stagingMaxAgeMs: e.S3_STAGING_MAX_AGE_HOURS * 3_600_000,
    objectLock:
      e.S3_OBJECT_LOCK_MODE && e.S3_OBJECT_LOCK_DAYS
        ? { mode: e.S3_OBJECT_LOCK_MODE, days: e.S3_OBJECT_LOCK_DAYS }
        : undefined,
  };
}

function tilePublishSettings(e: z.infer<typeof configSchema>): TilePublishSettings | undefined {
  const bucket = e.TILES_S3_BUCKET ?? e.S3_BUCKET;
  if (e.TILES_PUBLISH !== 's3' || !bucket) return undefined;
  return {
    target: {
      bucket,
      prefix: e.TILES_S3_PREFIX,
      ...s3Connection(e),
    },
    intervalMs: e.TILES_PUBLISH_INTERVAL_MS,
  };
}

/**
 * The largest evidence file. In S3 a file is at most 10,000 parts, growing
 * from S3_PART_SIZE_MIB to 5 GiB (src/storage/s3-part-size.ts): unset, the
 * limit is the smaller of the default and what they hold; set above it, it is refused.
 */
function evidenceMaxBytes(e: z.infer<typeof configSchema>, set: boolean): number {
  if (e.BLOB_STORE !== 's3') return e.EVIDENCE_MAX_BYTES;
  const largest = largestUploadBytes(e.S3_PART_SIZE_MIB * 1024 ** 2);
  if (!set) return Math.min(e.EVIDENCE_MAX_BYTES, largest);
  if (e.EVIDENCE_MAX_BYTES > largest) {
    throw new ConfigError(
      'EVIDENCE_MAX_BYTES',
      `must not exceed what 10,000 parts hold from S3_PART_SIZE_MIB (${largest}) when BLOB_STORE=s3`,
    );
  }
  return e.EVIDENCE_MAX_BYTES;
}

/** FAULT_POINTS, parsed; a production process never starts with a fault armed. */
function faultPointsOf(env: NodeJS.ProcessEnv): FaultPlan {
  const spec = env.FAULT_POINTS ?? '';
  if (spec.trim() !== '' && env.NODE_ENV === 'production') {
    throw new ConfigError(
      'FAULT_POINTS',
      'must not be set when NODE_ENV=production (test and benchmark only)',
    );
  }
  try {
    return parseFaultPoints(spec);
  } catch (error) {
    if (error instanceof FaultSpecError) throw new ConfigError('FAULT_POINTS', error.message);
    throw error;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** `ORDER_WARNING_DAYS_BY_KIND`: `kind=days` pairs, comma-separated, each kind once. */
function warningDaysByKind(value: string, ctx: z.RefinementCtx): Partial<Record<OrderKind, number>> {
  const byKind: Partial<Record<OrderKind, number>> = {};
  for (const pair of value.split(',').filter((part) => part.trim() !== '')) {
    const [kind, days] = pair.split('=').map((part) => part.trim());
    const count = Number(days);
    if (!ORDER_KINDS.includes(kind as OrderKind) || kind === undefined || kind in byKind) {
      ctx.addIssue({ code: 'custom', message: `unknown or repeated kind: ${kind}` });
    } else if (!Number.isInteger(count) || count < 0 || count > 365) {
      ctx.addIssue({ code: 'custom', message: `days must be a whole number from 0 to 365: ${pair}` });
    } else {
      byKind[kind as OrderKind] = count;
    }
  }
  return byKind;
}
