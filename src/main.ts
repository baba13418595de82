import { mkdir, readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Pool } from 'pg';
import { createTokenVerifier, issueAccessToken, publicJwkOf } from './access/access-token';
import { createAuthenticator } from './access/identity';
import { LogEntryAccess, visibleIfFound } from './access/log-entry-access';
import { PrincipalService } from './access/principal-service';
import { CaseService } from './cases/case-service';
import { type Config, ConfigError, loadConfig } from './config';
import { CaseRepository } from './db/case.repository';
import { CentralAuthorityRepository } from './db/central-authority.repository';
import { ChannelListener } from './db/channel-listener';
import {
  databaseReadOnly,
  durabilitySettings,
  mayRewriteLog,
  openDatabase,
  POOL_TIMEOUTS,
  undurable,
} from './db/data-source';
import { databaseServerFor } from './db/database-server';
import { DisclosureRepository } from './db/disclosure.repository';
import { DisclosureUseRepository } from './db/disclosure-use.repository';
import { EvidenceRepository } from './db/evidence.repository';
import { IdempotencyRepository } from './db/idempotency.repository';
import { LogRepository } from './db/log.repository';
import { NotificationRepository } from './db/notification.repository';
import { OrderRepository } from './db/order.repository';
import { OrderConditionsRepository } from './db/order-conditions.repository';
import { PRINCIPAL_CHANNEL, PrincipalRepository } from './db/principal.repository';
import { UploadRepository } from './db/upload.repository';
import { UserNoticeRepository } from './db/user-notice.repository';
import { NotFoundError } from './errors';
import { EvidenceService } from './evidence/evidence-service';
import { FixitySweep } from './evidence/fixity-sweep';
import { OrphanReconciler } from './evidence/orphan-reconciler';
import { armFaultPoints } from './faults';
import { createApp, routesOf, type ServedRoute } from './http/app';
import { IdempotencyKeys } from './http/idempotency';
import { dropIdleConnections } from './http/idle-timeout';
import { RateLimits } from './http/rate-limits';
import { DEFAULT_WEB_ROOT } from './http/web.routes';
import { ensureServiceKeys, listReceiptKeys } from './keys/key-store';
import { parseVerifierKey } from './ledger';
import { AuditTrail } from './log/audit-trail';
import { CheckpointWitness } from './log/checkpoint-witness';
import { CustodyLog } from './log/custody-log';
import { logSignerOf, logVerifierKey } from './log/log-key';
import { LogReader } from './log/log-reader';
import { Sequencer } from './log/sequencer';
import { S3PublishTarget, TilePublisher } from './log/tile-publisher';
import { TileReader } from './log/tiles';
import { createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { CentralAuthority } from './orders/central-authority';
import { ConsultationService } from './orders/consultations';
import { DeadlineSweep } from './orders/deadline-sweep';
import { DeadlineWarnings } from './orders/deadline-warnings';
import { OrderConditionsService } from './orders/order-conditions';
import { NoticingCustodyLog } from './orders/order-notices';
import { OrderService } from './orders/order-service';
import { OrderSupplements } from './orders/supplements';
import { UserNotices } from './orders/user-notices';
import { publishReceiptKeys, ReceiptKeyring, receiptJwks } from './receipts/receipt-keys';
import { ReceiptVerifier } from './receipts/receipt-verifier';
import { CourtReports, verifyPageUrl } from './reports/court-report';
import { CustodyReports } from './reports/custody-report';
import { DisclosureUses } from './reports/disclosure-uses';
import { DisclosureService } from './reports/disclosures';
import type { BlobStore } from './storage/blob-store';
import { FsBlobStore } from './storage/fs-blob-store';
import { S3BlobStore } from './storage/s3-blob-store';
import { PgLocker } from './uploads/pg-locker';
import { TusEndpoint } from './uploads/tus-endpoint';
import { UploadService } from './uploads/upload-service';

/** Expired resumable uploads are looked for this often at most (sooner when they expire sooner). */
const UPLOAD_SWEEP_INTERVAL_MS = 600_000;

/** Keys past retention are purged hourly: lookups ignore them already, this only frees the rows. */
const IDEMPOTENCY_PURGE_INTERVAL_MS = 3_600_000;

export interface RunningService {
  /** Base URL the server listens on, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The routes it serves. */
  readonly routes: readonly ServedRoute[];
  /** Graceful stop: refuse new connections, finish in-flight requests, close the pool, stop embedded PostgreSQL. */
  stop(): Promise<void>;
}

/**
 * Composition root: configuration -> database -> keys -> services -> HTTP server.
 * Everything is ready (schema migrated, keys on disk) before the port opens.
 */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const cleanups: Array<() => Promise<void>> = [];
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => logger.error({ err: error }, 'shutdown step failed'));
    }
  };

  try {
    const database = await databaseServerFor(config, logger);
    cleanups.push(() => database.stop());
    const db = await openDatabase(database.url, database.ownerUrl, {
      statementTimeoutMs: config.databaseStatementTimeoutMs,
    });
    cleanups.push(() => db.destroy());
    const durability = await durabilitySettings(db);
    const risk = undurable(durability);
    if (risk && !config.allowUndurableDatabase) {
      throw new Error(`${risk}; turn them on, or set ALLOW_UNDURABLE_DATABASE=true for development`);
    }
    if (risk) logger.warn({ durability }, `${risk} (ALLOW_UNDURABLE_DATABASE=true)`);
    if (await mayRewriteLog(db)) {
      logger.warn(
        'the service connects as a role that could rewrite the log (owner or superuser): give it the custody_service role and the owner DATABASE_OWNER_URL',
      );
    }
    const keys = await ensureServiceKeys(config.dataDir);

    const verifyToken = createTokenVerifier(
      { ...config.tokens, publicJwk: publicJwkOf(keys.tokenIssuer.privateJwk, keys.tokenIssuer.kid) },
      config.tokens.oidc,
    );
    const principalRepository = new PrincipalRepository(db);
    const authenticate = createAuthenticator(verifyToken, principalRepository);
    // A principal disabled in any process is refused here from its next request.
    const statusListener = await ChannelListener.start(
      database.url,
      PRINCIPAL_CHANNEL,
      authenticate.forget,
      logger,
    );
    cleanups.push(() => statusListener.stop());

    const logSigner = logSignerOf(keys.log, config.logOrigin);
    await publishReceiptKeys(db, await listReceiptKeys(config.dataDir));
    const keyring = ReceiptKeyring.start(db, keys.receipt, () => listReceiptKeys(config.dataDir));
    cleanups.push(async () => keyring.stop());
    const logRepository = new LogRepository(db);
    const idempotencyRepository = new IdempotencyRepository(db);
    const sequencer = await Sequencer.open(
      db,
      logRepository,
      logSigner,
      {
        maxBatch: config.logMaxBatch,
        maxQueue: config.logMaxQueue,
        idempotency: idempotencyRepository,
        witness: await CheckpointWitness.open(
          config.dataDir,
          config.logOrigin,
          await logRepository.databaseName(),
        ),
      },
      logger.child({ component: 'sequencer' }),
    );
    cleanups.push(() => sequencer.settle());
    const custodyLog = new CustodyLog(sequencer, () => keyring.signingKey());
    const caseRepository = new CaseRepository(db);
    const jwks = () => receiptJwks(db);

    const { blobs, unwritable: storeUnwritable, close: closeBlobStore } = await openBlobStore(config);
    cleanups.push(async () => closeBlobStore());
    const swept = await blobs.sweepStaging();
    if (swept > 0) logger.warn({ files: swept }, 'removed staging files left by an interrupted upload');
    const evidence = new EvidenceService(
      caseRepository,
      new EvidenceRepository(db),
      logRepository,
      blobs,
      custodyLog,
    );

    const cases = new CaseService(caseRepository, new NotificationRepository(), custodyLog, {
      breakGlassMs: config.breakGlassMs,
    });
    const orderRepository = new OrderRepository(db);
    const notifications = new NotificationRepository(db);
    // Order entries leave the notices they owe in the outbox, in their own commit (legal rows 61, 68).
    const orderLog = new NoticingCustodyLog(
      sequencer,
      () => keyring.signingKey(),
      orderRepository,
      notifications,
    );
    const orders = new OrderService(orderRepository, caseRepository, orderLog, {
      evidence: (principal, id) => evidence.attested(principal, id),
      centralAuthority: config.centralAuthority,
      periods: config.orderPeriods,
      legal: config.legal,
      timeZone: config.timeZone,
      entries: logRepository,
      acceptedLanguages: config.acceptedRequestLanguages,
    });
    const orderSupplements = new OrderSupplements(orderRepository, custodyLog, {
      find: (principal, id) => orders.get(principal, id),
      periods: config.orderPeriods,
      acceptedLanguages: config.acceptedRequestLanguages,
    });
    const centralAuthorityQueries = new CentralAuthorityRepository(db);
    const deadlineWarnings = new DeadlineWarnings(
      db,
      centralAuthorityQueries,
      orderRepository,
      notifications,
      config.orderWarningLeads,
    );
    const centralAuthority = new CentralAuthority(orders, centralAuthorityQueries, notifications, orderLog, {
      referralAuthorities: config.referralAuthorities,
    });
    const deadlines = new DeadlineSweep(
      orders,
      logger.child({ component: 'deadline-sweep' }),
      config.orderDeadlineWarningMs,
      undefined,
      undefined,
      deadlineWarnings,
    );
    deadlines.start(60_000);
    cleanups.push(() => deadlines.stop());
    const metrics = createMetrics(async () => (await logRepository.head())?.size ?? 0);
    const sweep = new FixitySweep(db, evidence, metrics, logger.child({ component: 'fixity-sweep' }));
    sweep.start(config.fixitySweepIntervalMs);
    cleanups.push(() => sweep.stop());
    // Bytes a crash left without their row: removed at start, then every grace period.
    const orphans = new OrphanReconciler(
      blobs,
      new EvidenceRepository(db),
      db,
      logger.child({ component: 'orphan-reconciler' }),
      { graceMs: config.blobOrphanGraceMs, registry: metrics.registry },
    );
    orphans.start(config.blobOrphanGraceMs);
    cleanups.push(() => orphans.stop());

    const reports = new CustodyReports(
      evidence,
      logRepository,
      custodyLog,
      logSigner,
      () => keyring.signingKey(),
      config.reportMaxHolderGapMs,
      async (item, principal) => {
        const found = await caseRepository.find(item.caseId);
        return {
          case: found
            ? {
                reference: found.reference,
                title: found.title,
                agency: found.agency,
                legalBasis: found.legalBasis,
              }
            : null,
          breakGlass: (await caseRepository.breakGlassOf(item.caseId)).map((grant) => ({
            sub: grant.sub,
            agency: grant.agency,
            role: grant.role,
            at: grant.createdAt.toISOString(),
            until: grant.until?.toISOString() ?? null,
            reason: grant.breakGlassReason ?? '',
          })),
          // A confidential order is named only to those who know of it (Budapest Art. 27(8)).
          orders: (await orders.ofEvidence(principal, item.id)).map((order) => ({
            id: order.id,
            kind: order.kind,
            status: order.status,
            legalBasis: order.legalBasis,
            requestingAuthority: order.requestingAuthority,
            safeguards: order.safeguards,
          })),
        };
      },
    );
    const disclosures = new DisclosureService(
      new DisclosureRepository(db),
      caseRepository,
      evidence,
      orders,
      reports,
      logRepository,
      custodyLog,
      {
        jwks,
        vkey: logVerifierKey(logSigner),
        receiptKey: () => keyring.signingKey(),
      },
      {
        language: config.reportLanguage,
        verifyUrl: verifyPageUrl(config.publicBaseUrl),
        // Built by scripts/build-web.ts; without it packages go out with the README's manual steps only.
        verifierPage: await readFile(path.join(DEFAULT_WEB_ROOT, 'verify.html')).catch(() => undefined),
      },
    );

    // Rate-limit counters have their own small pool, so a flood never starves the service's queries.
    const rateLimitPool = new Pool({
      connectionString: database.url,
      max: 8,
      application_name: 'custody-ledger',
      ...POOL_TIMEOUTS,
      statement_timeout: config.databaseStatementTimeoutMs,
      // Counters need no durability: a crash forgets at most a minute of them, and no commit waits for a flush.
      options: '-c synchronous_commit=off',
    });
    // An idle connection the server ends (restart, failover) is replaced on next use; never a crash.
    rateLimitPool.on('error', (error) => logger.warn({ err: error }, 'rate-limit connection lost'));
    cleanups.push(() => rateLimitPool.end());
    const rateLimits = new RateLimits(rateLimitPool, config.rateLimits, logger);
    cleanups.push(() => rateLimits.stop());
    const logReader = new LogReader(logRepository, logVerifierKey(logSigner), () => keyring.signingKey());
    if (config.tilePublishing) {
      const target = new S3PublishTarget(config.tilePublishing.target);
      cleanups.push(async () => target.destroy());
      // Its own small tile cache: publishing a whole log must not push out the tiles clients ask for.
      const publisher = new TilePublisher(
        db,
        logRepository,
        new TileReader(logRepository, 16),
        target,
        parseVerifierKey(logVerifierKey(logSigner)),
        logger.child({ component: 'tile-publisher' }),
      );
      publisher.start(config.tilePublishing.intervalMs);
      cleanups.push(() => publisher.stop());
    }
    const idempotencyKeys = new IdempotencyKeys(
      idempotencyRepository,
      logReader,
      config.idempotencyKeyRetentionMs,
      logger.child({ component: 'idempotency' }),
    );
    idempotencyKeys.start(IDEMPOTENCY_PURGE_INTERVAL_MS);
    cleanups.push(async () => idempotencyKeys.stop());

    // Resumable uploads: each PATCH being written holds its upload's advisory lock on a connection of this pool.
    const uploadLockPool = new Pool({
      connectionString: database.url,
      max: 2 * config.uploadMaxConcurrent,
      application_name: 'custody-ledger',
      ...POOL_TIMEOUTS,
    });
    uploadLockPool.on('error', (error) => logger.warn({ err: error }, 'upload lock connection lost'));
    cleanups.push(() => uploadLockPool.end());
    // A holder whose client went silent is dropped after the idle timeout: a waiting request outlasts that.
    const uploadLocker = await PgLocker.start(
      uploadLockPool,
      database.url,
      { acquireTimeoutMs: config.uploadIdleTimeoutMs + 5000 },
      logger.child({ component: 'upload-locks' }),
    );
    cleanups.push(() => uploadLocker.stop());
    await mkdir(config.resumableUploads.dir, { recursive: true, mode: 0o700 });
    const tusEndpoint = new TusEndpoint(
      config.resumableUploads.dir,
      uploadLocker,
      () => uploads,
      config.evidenceMaxBytes,
    );
    const uploads: UploadService = new UploadService(
      new UploadRepository(db),
      evidence,
      blobs,
      tusEndpoint.bytes(),
      logReader,
      {
        maxBytes: config.evidenceMaxBytes,
        metadataMaxBytes: config.evidenceMetadataMaxBytes,
        maxOpenPerPrincipal: config.resumableUploads.maxOpenPerPrincipal,
        expiryMs: config.resumableUploads.expiryMs,
        completionLeaseMs: config.resumableUploads.completionLeaseMs,
      },
      logger.child({ component: 'uploads' }),
    );
    const expired = await uploads.sweepExpired();
    if (expired > 0) logger.info({ uploads: expired }, 'removed expired uploads');
    uploads.start(Math.min(UPLOAD_SWEEP_INTERVAL_MS, config.resumableUploads.expiryMs));
    cleanups.push(async () => uploads.stop());
    let draining = false;
    const app = createApp({
      idempotencyKeys,
      logger,
      authenticate,
      audit: new AuditTrail(sequencer),
      rateLimits,
      principals: new PrincipalService(principalRepository, custodyLog),
      cases,
      orders,
      userNotices: new UserNotices(orders, new UserNoticeRepository(db), custodyLog),
      orderSupplements,
      consultations: new ConsultationService(custodyLog, {
        order: (principal, id) => orders.get(principal, id),
        entries: logRepository,
      }),
      centralAuthority,
      deadlineWarnings,
      orderConditions: new OrderConditionsService(
        orders,
        orderRepository,
        new OrderConditionsRepository(db),
        custodyLog,
      ),
      disclosures,
      disclosureUses: new DisclosureUses(disclosures, new DisclosureUseRepository(db), custodyLog),
      evidence: {
        evidence,
        receipts: (views) => logReader.receipts(views),
        reports,
        courtReports: new CourtReports(
          reports,
          logRepository,
          { jwks, vkey: logVerifierKey(logSigner), receiptKey: () => keyring.signingKey() },
          { publicBaseUrl: config.publicBaseUrl },
        ),
        reportLanguage: config.reportLanguage,
        blobs,
        limits: {
          maxBytes: config.evidenceMaxBytes,
          metadataMaxBytes: config.evidenceMetadataMaxBytes,
          maxConcurrent: config.uploadMaxConcurrent,
        },
      },
      uploads: { uploads, tus: tusEndpoint, maxConcurrent: config.uploadMaxConcurrent },
      console: {
        settings: config.console,
        devTokenSeconds: config.tokens.ttlSeconds,
        issueToken: (request) =>
          issueAccessToken(
            {
              issuer: config.tokens.issuer,
              audience: config.tokens.audience,
              privateJwk: keys.tokenIssuer.privateJwk,
              kid: keys.tokenIssuer.kid,
            },
            request,
          ),
      },
      web: {
        root: DEFAULT_WEB_ROOT,
        connectOrigins: config.tokens.oidc ? [new URL(config.tokens.oidc.issuer).origin] : [],
      },
      log: {
        reader: logReader,
        tiles: new TileReader(logRepository),
        jwks,
        verifier: new ReceiptVerifier(jwks, logSigner),
        authenticate,
        entryAccess: new LogEntryAccess({
          case: visibleIfFound(async (principal, id) => {
            await cases.get(principal, id);
          }),
          access: visibleIfFound(async (principal, id) => {
            await cases.get(principal, id);
          }),
          evidence: visibleIfFound(async (principal, id) => (await evidence.get(principal, id)).audience),
          // The submitting side's status view does not extend to the order's entries.
          order: visibleIfFound(async (principal, id) => {
            if ((await orders.get(principal, id)).statusOnly) throw new NotFoundError('order');
          }),
        }),
      },
      metrics: metrics.registry,
      bodyLimitBytes: config.bodyLimitBytes,
      trustProxy: config.trustProxy,
      readiness: {
        get draining() {
          return draining;
        },
        halted: () => sequencer.halted,
        details: () => ({ dataChecksums: durability.dataChecksums === 'on' }),
        check: async () => {
          await db.query('SELECT 1');
        },
        unwritable: async () => ((await databaseReadOnly(db)) ? 'DATABASE_READ_ONLY' : storeUnwritable()),
      },
    });

    const server = await listen(app, config.port, config.host, config.uploadIdleTimeoutMs);
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
    cleanups.push(() => closeServer(server, config.shutdownGraceMs));
    logger.info({ url, origin: config.logOrigin }, 'custody ledger listening');

    return {
      url,
      routes: routesOf(app),
      async stop() {
        draining = true;
        await runCleanups();
      },
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

/** The evidence store the configuration names, and why it could not take a write now (for /readyz). */
async function openBlobStore(
  config: Config,
): Promise<{ blobs: BlobStore; unwritable: () => Promise<string | undefined>; close: () => void }> {
  if (config.s3) {
    const store = new S3BlobStore(config.s3);
    return { blobs: store, unwritable: () => store.unwritable(), close: () => store.destroy() };
  }
  const store = await FsBlobStore.open(config.blobDir);
  return { blobs: store, unwritable: () => store.unwritable(config.blobMinFreeBytes), close: () => {} };
}

function listen(
  app: ReturnType<typeof createApp>,
  port: number,
  host: string,
  idleTimeoutMs: number,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
    // Bounded time to send headers, and bounded idleness after: slow-loris clients cannot hold
    // sockets, while an upload of any size at any speed goes through (no total bound).
    server.headersTimeout = 30_000;
    dropIdleConnections(server, idleTimeoutMs);
  });
}

/** Stops accepting connections and lets in-flight requests finish, up to the grace period. */
async function closeServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections go idle as their last response ends; close them then.
  const sweeper = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearInterval(sweeper);
  clearTimeout(deadline);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  armFaultPoints(config.faultPoints); // tests and benchmarks only; empty unless FAULT_POINTS is set
  const logger = createLogger(config.logLevel);
  let service: RunningService;
  try {
    service = await startService(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'start failed');
    process.exit(1);
  }

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

if (require.main === module) void main();
