import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { configSchema, loadConfig } from '../../src/config';
import { configError } from '../support/config-error';

/** The README's configuration table: variable name to the Default column as written. */
function readmeSettings(): Map<string, string> {
  const readme = readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Configuration'), readme.indexOf('### Commands'));
  const rows = [...section.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]+?) \| .+ \|$/gm)];
  return new Map(rows.map(([, name, fallback]) => [name as string, fallback as string]));
}

describe('configuration', () => {
  it('when the environment is empty, then every default applies and DATABASE_URL is absent (embedded mode)', () => {
    const config = loadConfig({});
    expect(config.port).to.equal(8080);
    expect(config.databaseUrl).to.equal(undefined);
    expect(config.dataDir).to.match(/\/data$/);
    expect(config.logOrigin).to.equal('localhost/custody-ledger');
    expect(config.tokens.oidc).to.equal(undefined);
  });

  it('when a variable is empty, then it counts as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).port).to.equal(8080);
  });

  it('when the configuration is loaded, then it is frozen all the way down', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.tokens)).to.equal(true);
  });

  for (const [variable, value] of [
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['LOG_ORIGIN', 'https://ledger.example/custody'],
    ['LOG_ORIGIN', 'ledger.example/a+b'],
    ['LOG_ORIGIN', 'ledger example'],
    ['LOG_LEVEL', 'loud'],
    ['TOKEN_TTL_SECONDS', '-1'],
    ['OIDC_ALGORITHMS', 'none'],
    ['OIDC_ALGORITHMS', 'HS256'],
  ] as const) {
    it(`when ${variable}=${JSON.stringify(value)}, then loading fails naming ${variable}`, () => {
      expect(configError({ [variable]: value }).variable).to.equal(variable);
    });
  }

  it('when ORDER_WARNING_DAYS_BY_KIND names lead times per kind, then they apply beside ORDER_WARNING_DAYS, and an unknown or repeated kind or a bad count fails naming it', () => {
    const config = loadConfig({
      ORDER_WARNING_DAYS: '7',
      ORDER_WARNING_DAYS_BY_KIND: 'epoc=3, production=0',
    });
    expect(config.orderWarningLeads).to.deep.equal({ days: 7, byKind: { epoc: 3, production: 0 } });
    expect(loadConfig({}).orderWarningLeads).to.deep.equal({ days: 10, byKind: {} });
    for (const bad of ['extradition=3', 'epoc=3,epoc=4', 'epoc=-1', 'epoc=two', 'epoc']) {
      expect(configError({ ORDER_WARNING_DAYS_BY_KIND: bad }).variable, bad).to.equal(
        'ORDER_WARNING_DAYS_BY_KIND',
      );
    }
  });

  it('when REFERRAL_AUTHORITIES lists agencies, then the first is the default, and a malformed code fails naming it', () => {
    expect(loadConfig({}).referralAuthorities).to.deep.equal(['AZ-MOJ']);
    expect(loadConfig({ REFERRAL_AUTHORITIES: 'AZ-MOJ, AZ-PGO' }).referralAuthorities).to.deep.equal([
      'AZ-MOJ',
      'AZ-PGO',
    ]);
    expect(configError({ REFERRAL_AUTHORITIES: 'AZ-MOJ,ministry' }).variable).to.equal(
      'REFERRAL_AUTHORITIES',
    );
  });

  it('when OIDC_ISSUER is set without OIDC_JWKS_URL, then loading fails naming OIDC_JWKS_URL', () => {
    expect(configError({ OIDC_ISSUER: 'https://idp.example' }).variable).to.equal('OIDC_JWKS_URL');
  });

  it('when both OIDC variables are set, then the external issuer uses the token audience by default', () => {
    const config = loadConfig({
      OIDC_ISSUER: 'https://idp.example',
      OIDC_JWKS_URL: 'https://idp.example/jwks',
    });
    expect(config.tokens.oidc).to.deep.include({ issuer: 'https://idp.example', audience: 'custody-ledger' });
    expect(config.tokens.oidc?.algorithms).to.deep.equal(['RS256', 'PS256', 'ES256', 'EdDSA']);
  });

  it('when OIDC_CLIENT_ID is set with the provider, then the console offers it with scope openid and the audience as resource; without OIDC_ISSUER loading fails naming OIDC_ISSUER', () => {
    const provider = {
      OIDC_ISSUER: 'https://idp.example',
      OIDC_JWKS_URL: 'https://idp.example/jwks',
      OIDC_AUDIENCE: 'https://ledger.example/api',
    };
    expect(loadConfig(provider).console).to.deep.equal({ oidc: undefined, devSignIn: false });
    expect(loadConfig({ ...provider, OIDC_CLIENT_ID: 'console' }).console.oidc).to.deep.equal({
      issuer: 'https://idp.example',
      clientId: 'console',
      scope: 'openid',
      resource: 'https://ledger.example/api',
    });
    expect(
      loadConfig({
        ...provider,
        OIDC_CLIENT_ID: 'console',
        OIDC_SCOPE: 'openid profile',
        OIDC_RESOURCE: 'urn:custody-ledger:api',
      }).console.oidc,
    ).to.deep.include({ scope: 'openid profile', resource: 'urn:custody-ledger:api' });
    expect(configError({ OIDC_CLIENT_ID: 'console' }).variable).to.equal('OIDC_ISSUER');
  });

  it('when the console asks for a scope without openid, or a resource that is no absolute URI, then loading fails naming it', () => {
    const client = {
      OIDC_ISSUER: 'https://idp.example',
      OIDC_JWKS_URL: 'https://idp.example/jwks',
      OIDC_CLIENT_ID: 'console',
    };
    expect(
      configError({ ...client, OIDC_AUDIENCE: 'https://ledger.example', OIDC_SCOPE: 'profile' }).variable,
    ).to.equal('OIDC_SCOPE');
    expect(configError({ ...client, OIDC_SCOPE: 'openid "quoted"' }).variable).to.equal('OIDC_SCOPE');
    // The default audience, `custody-ledger`, is no URI: a console client then needs OIDC_RESOURCE.
    expect(configError(client).variable).to.equal('OIDC_RESOURCE');
    expect(configError({ ...client, OIDC_RESOURCE: 'https://ledger.example/api#x' }).variable).to.equal(
      'OIDC_RESOURCE',
    );
  });

  it('when CONSOLE_DEV_SIGNIN=true, then it holds only while HOST is a loopback address; on any other, loading fails naming CONSOLE_DEV_SIGNIN', () => {
    expect(loadConfig({}).console.devSignIn).to.equal(false);
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) {
      expect(loadConfig({ CONSOLE_DEV_SIGNIN: 'true', HOST: host }).console.devSignIn, host).to.equal(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'ledger.example', '::ffff:10.0.0.5']) {
      expect(configError({ CONSOLE_DEV_SIGNIN: 'true', HOST: host }).variable, host).to.equal(
        'CONSOLE_DEV_SIGNIN',
      );
    }
    // HOST's default listens on every interface.
    expect(configError({ CONSOLE_DEV_SIGNIN: 'true' }).variable).to.equal('CONSOLE_DEV_SIGNIN');
    expect(configError({ CONSOLE_DEV_SIGNIN: 'yes', HOST: '127.0.0.1' }).variable).to.equal(
      'CONSOLE_DEV_SIGNIN',
    );
  });

  it('when TRUST_PROXY names hops, addresses or named ranges, then it is kept; anything else is refused', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).to.equal('1');
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).to.equal('loopback, 10.0.0.0/8');
    expect(loadConfig({}).trustProxy).to.equal(undefined);
    expect(configError({ TRUST_PROXY: 'everyone' }).variable).to.equal('TRUST_PROXY');
  });

  it('when TILES_PUBLISH=s3 has no bucket (neither TILES_S3_BUCKET nor S3_BUCKET), then loading fails naming TILES_S3_BUCKET', () => {
    expect(configError({ TILES_PUBLISH: 's3' }).variable).to.equal('TILES_S3_BUCKET');
  });

  it('when TILES_PUBLISH=s3 would write among the evidence store’s keys, then loading fails naming TILES_S3_PREFIX', () => {
    const evidence = { BLOB_STORE: 's3', S3_BUCKET: 'evidence', S3_PREFIX: 'ledger/' };
    for (const prefix of ['ledger/sha256/', 'ledger/staging/tiles/']) {
      expect(
        configError({ ...evidence, TILES_PUBLISH: 's3', TILES_S3_PREFIX: prefix }).variable,
        prefix,
      ).to.equal('TILES_S3_PREFIX');
    }
    // Beside them, or in a bucket of their own, they are fine.
    expect(
      loadConfig({ ...evidence, TILES_PUBLISH: 's3', TILES_S3_PREFIX: 'ledger/tiles/' }).tilePublishing,
    ).to.not.equal(undefined);
    expect(
      loadConfig({
        ...evidence,
        TILES_PUBLISH: 's3',
        TILES_S3_BUCKET: 'proofs',
        TILES_S3_PREFIX: 'ledger/sha256/',
      }).tilePublishing?.target.bucket,
    ).to.equal('proofs');
  });

  it('when TILES_PUBLISH=s3 names a bucket, then the tiles go under tiles/ in it with the S3_* connection settings', () => {
    const config = loadConfig({ TILES_PUBLISH: 's3', S3_BUCKET: 'evidence', S3_FORCE_PATH_STYLE: 'true' });
    expect(config.tilePublishing?.target).to.deep.include({
      bucket: 'evidence',
      prefix: 'tiles/',
      forcePathStyle: true,
    });
    expect(config.tilePublishing?.intervalMs).to.equal(10_000);
    expect(loadConfig({ S3_BUCKET: 'evidence' }).tilePublishing).to.equal(undefined);
  });

  it('when BLOB_STORE=s3 leaves EVIDENCE_MAX_BYTES unset, then the 2 TiB default holds at every part size', () => {
    for (const mib of ['5', '16', '256']) {
      const config = loadConfig({ BLOB_STORE: 's3', S3_BUCKET: 'evidence', S3_PART_SIZE_MIB: mib });
      expect(config.evidenceMaxBytes, mib).to.equal(2 * 1024 ** 4);
    }
  });

  it('when BLOB_STORE=s3 sets EVIDENCE_MAX_BYTES beyond what 10,000 growing parts hold, then loading fails naming EVIDENCE_MAX_BYTES, and within it the limit is taken', () => {
    const s3 = { BLOB_STORE: 's3', S3_BUCKET: 'evidence', S3_PART_SIZE_MIB: '5' };
    // From 5 MiB, 10,000 parts hold 4.9 TiB; from 16 MiB, 12.7 TiB.
    const tenTiB = String(10 * 1024 ** 4);
    expect(configError({ ...s3, EVIDENCE_MAX_BYTES: tenTiB }).variable).to.equal('EVIDENCE_MAX_BYTES');
    expect(
      loadConfig({ ...s3, S3_PART_SIZE_MIB: '16', EVIDENCE_MAX_BYTES: tenTiB }).evidenceMaxBytes,
    ).to.equal(10 * 1024 ** 4);
    expect(loadConfig({ EVIDENCE_MAX_BYTES: tenTiB }).evidenceMaxBytes).to.equal(10 * 1024 ** 4);
  });

  describe('the README’s configuration table', () => {
    const documented = readmeSettings();
    const settings = configSchema.shape;

    it('when compared with the configuration schema, then each names the same settings', () => {
      expect([...documented.keys()].sort()).to.deep.equal(Object.keys(settings).sort());
    });

    for (const [name, setting] of Object.entries(settings)) {
      it(`when ${name} is unset, then the default the README shows is the one that applies`, () => {
        const fallback = setting.safeParse(undefined);
        expect(fallback.success).to.equal(true);
        const shown = documented.get(name) ?? '';
        const literal = /^`([^`]+)`$/.exec(shown)?.[1];
        if (fallback.data === undefined) {
          // No default of its own: the README says "unset" or what applies instead (e.g. `DATA_DIR/blobs`).
          expect(shown).to.not.equal('');
        } else {
          expect(literal, `${name}'s default is shown as one literal`).to.be.a('string');
          expect(setting.parse(literal)).to.deep.equal(fallback.data);
        }
      });
    }
  });
});
