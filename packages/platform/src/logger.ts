import { type DestinationStream, type Level, type Logger, type LoggerOptions as PinoOptions, pino } from 'pino';

/** Field names whose values are secrets wherever they appear (top level, or one or two levels deep). */
export const SECRET_FIELD_NAMES = Object.freeze([
  'password',
  'passphrase',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'clientSecret',
  'apiKey',
  'apiKeys',
  'privateKey',
  'privateKeyPem',
  'secretKey',
  'pin',
] as const);

/** Header names that carry credentials. */
const SECRET_HEADERS = ['authorization', '["x-api-key"]', 'cookie', '["set-cookie"]', '["proxy-authorization"]'];

function headerPath(parent: string, header: string): string {
  return header.startsWith('[') ? `${parent}${header}` : `${parent}.${header}`;
}

/**
 * Every redaction path, fixed once (pino redaction docs: paths are compiled at logger creation and must
 * be constants). Credential headers under `req`/`res`/`headers` and any object one level down; secret
 * field names at depth 0, 1 and 2. Keys, passwords and tokens never reach a log line (STYLE.md, Logging).
 */
export const REDACT_PATHS: readonly string[] = Object.freeze([
  ...['req.headers', 'res.headers', 'headers', '*.headers'].flatMap((parent) =>
    SECRET_HEADERS.map((h) => headerPath(parent, h)),
  ),
  ...SECRET_FIELD_NAMES.flatMap((name) => [name, `*.${name}`, `*.*.${name}`]),
]);

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Service name, bound to every line (`service`). */
  service: string;
  /** Minimum level; default `info`. `silent` turns logging off. */
  level?: Level | 'silent';
  /** Where lines go; default stdout, written synchronously. Tests pass an in-memory stream. */
  destination?: DestinationStream;
  /** Extra trusted fields bound to every line (contour, version). */
  bindings?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * A pino JSON logger with the platform's redaction paths, ISO timestamps and level names. Child loggers
 * (`logger.child({ messageId })`) bind trusted context; they inherit the redaction.
 */
export function createLogger(options: LoggerOptions): Logger {
  const pinoOptions: PinoOptions = {
    level: options.level ?? 'info',
    base: { service: options.service, ...options.bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  // stdout is written synchronously: pino's default asynchronous stdout let the last lines before a
  // shutdown's process.exit come out of order (a buffered line flushed behind an in-flight write).
  return pino(pinoOptions, options.destination ?? pino.destination({ dest: 1, sync: true }));
}
