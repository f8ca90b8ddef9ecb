import { pino, type Logger as PinoLogger } from 'pino';

/**
 * Structured logging: one JSON line per event. Child loggers carry { tenant, callId } so a call's lines can be
 * grepped together. Credentials never reach a log line: the redaction list covers the field names we use, and
 * callers must never log raw Authorization headers or passwords in the first place.
 */
export type Logger = PinoLogger;

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export const REDACTED_PATHS = [
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'proxyAuthorization',
  '*.proxyAuthorization',
  'ha1',
  '*.ha1',
  'ha1Md5',
  '*.ha1Md5',
  'ha1Sha256',
  '*.ha1Sha256',
];

export function createLogger(opts: { level?: LogLevel; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { svc: 'zentrale' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // pino's destination type is SonicBoom-compatible; a plain writable works for tests.
    (opts.destination ?? pino.destination({ sync: false })) as Parameters<typeof pino>[1],
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
