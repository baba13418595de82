import { ConfigError, loadConfig } from '../../src/config';

/** The ConfigError that loading `env` raises; fails the test when it loads. */
export function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
