import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs on stdout. Credentials never reach a log line: the
 * Authorization and Cookie headers and anything named like a secret are redacted.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'custody-ledger' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          '*.password',
          '*.token',
          '*.privateJwk',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
