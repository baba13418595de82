import type { Config } from '../config';
import { ensureServiceKeys } from '../keys/key-store';
import { issueAccessToken, type TokenRequest } from './access-token';

/** A token from the built-in issuer of the deployment `config` describes (its key under DATA_DIR/keys). */
export async function issueBuiltInToken(config: Config, request: TokenRequest): Promise<string> {
  const { tokenIssuer } = await ensureServiceKeys(config.dataDir);
  return issueAccessToken(
    {
      issuer: config.tokens.issuer,
      audience: config.tokens.audience,
      privateJwk: tokenIssuer.privateJwk,
      kid: tokenIssuer.kid,
    },
    request,
  );
}
