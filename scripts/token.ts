/**
 * Prints an access token from the built-in issuer on stdout, and nothing else:
 *   npm run --silent token -- --sub alice --agency AZ-SSS --role investigator [--role court] [--ttl 900]
 * The issuer key is the service's own (DATA_DIR/keys/token-issuer.json); it is
 * created if the service has never started, so tokens work on a fresh clone.
 */
import { parseArgs } from 'node:util';
import { issueBuiltInToken } from '../src/access/built-in-issuer';
import { ROLES, type Role } from '../src/access/roles';
import { ConfigError, loadConfig } from '../src/config';

const USAGE =
  'usage: npm run --silent token -- --sub SUB --agency AGENCY --role ROLE [--role ROLE ...] [--ttl SECONDS]';

async function main(): Promise<number> {
  let values: { sub?: string; agency?: string; role?: string[]; ttl?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        sub: { type: 'string' },
        agency: { type: 'string' },
        role: { type: 'string', multiple: true },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 64;
  }
  if (values.help) {
    console.error(`${USAGE}\nroles: ${ROLES.join(', ')}`);
    return 0;
  }
  const unknownRole = values.role?.find((role) => !(ROLES as readonly string[]).includes(role));
  if (!values.sub || !values.agency || !values.role || unknownRole) {
    console.error(unknownRole ? `unknown role ${unknownRole}; roles: ${ROLES.join(', ')}` : USAGE);
    return 64;
  }

  const config = loadConfig();
  const ttlSeconds = values.ttl === undefined ? config.tokens.ttlSeconds : Number(values.ttl);
  const longest = config.tokens.maxLifetimeSeconds;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > longest) {
    console.error(
      `--ttl must be a whole number of seconds from 1 to ${longest} (TOKEN_MAX_LIFETIME_SECONDS)`,
    );
    return 64;
  }
  const token = await issueBuiltInToken(config, {
    sub: values.sub,
    agency: values.agency,
    roles: values.role as Role[],
    ttlSeconds,
  });
  process.stdout.write(`${token}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `token: ${(error as Error).message}`);
    process.exitCode = 1;
  },
);
