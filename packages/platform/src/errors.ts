import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCatalog, PLATFORM_CODES } from './codes.js';
import type { FieldError } from './result.js';
import { ajvFieldErrors } from './validation.js';

/**
 * A typed error with a stable `code`, the HTTP status it answers with and optional field `details`.
 * Its message and details are written for the client: they must never carry secrets or internals.
 */
export class AppError extends Error {
  /** Stable `<AREA>_<REASON>` code; never renamed or reused. */
  readonly code: string;
  /** HTTP status the error answers with. */
  readonly statusCode: number;
  /** Field-level problems, when there are any. */
  readonly details?: readonly FieldError[];

  /** Creates the error; `cause` is kept for the log and never sent. */
  constructor(
    code: string,
    statusCode: number,
    message: string,
    options: { details?: readonly FieldError[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.statusCode = statusCode;
    if (options.details && options.details.length > 0) this.details = options.details;
  }
}

/** True for an {@link AppError} (also across copies of this module). */
export function isAppError(error: unknown): error is AppError {
  return (
    error instanceof AppError ||
    (error instanceof Error &&
      error.name === 'AppError' &&
      typeof (error as { code?: unknown }).code === 'string' &&
      typeof (error as { statusCode?: unknown }).statusCode === 'number')
  );
}

/**
 * Makes an {@link AppError} factory for one catalog: the code must be listed, the status comes from the
 * catalog, and the message defaults to the code's documented meaning.
 */
export function createErrorFactory<C extends ErrorCatalog>(
  catalog: C,
): (code: keyof C & string, message?: string, details?: readonly FieldError[]) => AppError {
  return (code, message, details) => {
    const info = catalog[code];
    if (!info) throw new Error(`code ${code} is not in the catalog`);
    return new AppError(code, info.status, message ?? info.meaning, details ? { details } : {});
  };
}

/** The platform's own error factory. */
export const platformError = createErrorFactory(PLATFORM_CODES);

/** The body of every error answer. */
export interface ErrorBody {
  statusCode: number;
  code: string;
  /** HTTP reason phrase of `statusCode`. */
  error: string;
  message: string;
  requestId: string;
  details?: readonly FieldError[];
}

/** How an error is answered: status, body, and whether it is a fault whose internals must be hidden. */
export interface ErrorAnswer {
  statusCode: number;
  body: ErrorBody;
  /** True when the body hides the original error (a 5xx that is not an AppError). */
  hidden: boolean;
}

/** fastify's own error codes that have a stable platform code. */
const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'PLT_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PLT_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'PLT_BAD_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'PLT_BAD_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'PLT_BAD_REQUEST',
  FST_ERR_NOT_FOUND: 'PLT_NOT_FOUND',
};

function body(statusCode: number, code: string, message: string, requestId: string, details?: readonly FieldError[]) {
  const out: ErrorBody = { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message, requestId };
  if (details && details.length > 0) out.details = details;
  return out;
}

function platformAnswer(code: keyof typeof PLATFORM_CODES, message: string, requestId: string, details?: FieldError[]) {
  const status = PLATFORM_CODES[code].status;
  return { statusCode: status, body: body(status, code, message, requestId, details), hidden: false };
}

/**
 * Maps any thrown value to the answer the client sees. Pure: the caller logs.
 *
 * - {@link AppError}: its own status, code, message and details (any status: they are written for clients);
 * - fastify schema validation: 400 `PLT_VALIDATION` with one detail per field problem;
 * - fastify body-parser errors: `PLT_BAD_JSON`, `PLT_UNSUPPORTED_MEDIA_TYPE`, `PLT_BODY_TOO_LARGE`, …;
 * - any other 4xx from fastify or a plugin: 400 `PLT_BAD_REQUEST`;
 * - everything else: 500 `PLT_INTERNAL` with a generic message; the original stays in the log only.
 */
export function toErrorAnswer(error: unknown, requestId: string): ErrorAnswer {
  if (isAppError(error)) {
    return {
      statusCode: error.statusCode,
      body: body(error.statusCode, error.code, error.message, requestId, error.details),
      hidden: false,
    };
  }
  // Anything may be thrown (null, a string); only an object can carry fastify's fields.
  const fe = (typeof error === 'object' && error !== null ? error : {}) as Partial<FastifyError> & {
    validationContext?: string;
  };
  if (Array.isArray(fe.validation)) {
    const details = ajvFieldErrors(fe.validation as never, fe.validationContext ?? 'body');
    return platformAnswer('PLT_VALIDATION', 'the request does not match the schema', requestId, details);
  }
  const mapped = typeof fe.code === 'string' ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) {
    return platformAnswer(mapped as keyof typeof PLATFORM_CODES, fe.message ?? mapped, requestId);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // A client error raised by fastify or a plugin: its message describes the request, never internals.
    return platformAnswer('PLT_BAD_REQUEST', fe.message ?? 'bad request', requestId);
  }
  return platformAnswer('PLT_INTERNAL', `internal error; quote request id ${requestId}`, requestId);
}

/**
 * The fastify error handler: answers every error as {@link ErrorBody}. A 5xx is logged at `error` with
 * the original error (stack included); a 4xx at `info` with its code only.
 */
export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const answer = toErrorAnswer(error, String(request.id));
  if (answer.statusCode >= 500) {
    request.log.error({ err: error, code: answer.body.code }, 'request failed');
  } else {
    request.log.info({ code: answer.body.code, statusCode: answer.statusCode }, 'request refused');
  }
  void reply.code(answer.statusCode).type('application/json; charset=utf-8').send(answer.body);
}

/** The fastify not-found handler: 404 `PLT_NOT_FOUND` in the common error body. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const answer = platformAnswer(
    'PLT_NOT_FOUND',
    `no route ${request.method} ${request.url.split('?')[0]}`,
    String(request.id),
  );
  void reply.code(answer.statusCode).type('application/json; charset=utf-8').send(answer.body);
}
