import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
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
});
