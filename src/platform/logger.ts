/**
 * pino, with secrets redacted wherever they could appear: credentials in headers,
 * tokens, passwords and webhook URLs never reach the log.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.authorization',
  '*.password',
  '*.token',
  '*.webhookUrl',
  '*.webhookToken',
  '*.adminToken',
  '*.botToken',
  'config.auth',
];

export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'autoremediator' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything; for tests that do not look at logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
