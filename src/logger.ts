import pino, { type Logger } from 'pino';

/**
 * Logs go to stderr (stdout is for machine output of the CLI). The
 * Authorization header is redacted: API keys never reach the logs.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}
