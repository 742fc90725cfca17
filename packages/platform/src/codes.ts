/** What a code means, the HTTP status it answers with, and what an operator does about it. */
export interface ErrorCodeInfo {
  /** HTTP status when the code reaches a client (500 for codes that never leave the process). */
  status: number;
  /** One line: what the code means. */
  meaning: string;
  /** What an operator or integrator does about it. */
  action: string;
}

/** One package's catalog of error codes: `{ CODE: { status, meaning, action } }`. */
export type ErrorCatalog = Readonly<Record<string, ErrorCodeInfo>>;

/**
 * Declares a catalog, keeping its keys as literal types so `createErrorFactory` only accepts listed codes.
 * The catalog is frozen: a code is never renamed or reused (STYLE.md, Errors).
 */
export function defineErrorCatalog<const C extends Record<string, ErrorCodeInfo>>(catalog: C): Readonly<C> {
  for (const info of Object.values(catalog)) Object.freeze(info);
  return Object.freeze(catalog);
}

/**
 * Every code the platform package produces. `docs/errors.md` is kept in step with this by a test,
 * and another test checks that every code literal in the sources is listed here.
 */
export const PLATFORM_CODES = defineErrorCatalog({
  // Configuration (config.ts). Never sent over HTTP: the process refuses to start.
  CFG_INVALID: {
    status: 500,
    meaning: 'The configuration is invalid; `errors` lists every problem at once.',
    action: 'Fix every listed variable and start the service again.',
  },
  CFG_MISSING: {
    status: 500,
    meaning: 'A required configuration variable is not set (nor its `_FILE` variant for a secret).',
    action: 'Set the variable.',
  },
  CFG_TYPE: {
    status: 500,
    meaning: 'A configuration value is not of the declared type (number, boolean, list, object).',
    action: 'Give a value of the declared type.',
  },
  CFG_CONSTRAINT: {
    status: 500,
    meaning: 'A configuration value breaks a constraint of the schema (range, pattern, format, allowed values).',
    action: 'Give a value the schema allows; the message names the constraint.',
  },
  CFG_UNKNOWN_KEY: {
    status: 500,
    meaning: 'A `TWINCONTOUR_` variable (or a key inside a JSON value) is not part of the schema; usually a typo.',
    action: 'Remove the variable or correct its name.',
  },
  CFG_BAD_JSON: {
    status: 500,
    meaning: 'A variable that holds a list or an object is not valid JSON.',
    action: 'Give valid JSON (a list of scalars may also be given comma-separated).',
  },
  CFG_SECRET_FILE: {
    status: 500,
    meaning: 'The file named by a `…_FILE` secret variable cannot be read.',
    action: 'Check the path and that the service user may read the file (docker secret mounted?).',
  },
  CFG_SECRET_CONFLICT: {
    status: 500,
    meaning: 'A secret is given both directly and as `…_FILE`.',
    action: 'Keep exactly one of the two variables.',
  },

  // HTTP edge (errors.ts, validation.ts, app.ts).
  PLT_INTERNAL: {
    status: 500,
    meaning: 'An unexpected fault; the answer hides it, the service log keeps it under the same requestId.',
    action: 'Look up the requestId in the service log; report it if it repeats.',
  },
  PLT_VALIDATION: {
    status: 400,
    meaning: 'The request does not match the route schema; `details` lists every field error.',
    action: 'Correct every listed field and send the request again.',
  },
  PLT_FIELD_REQUIRED: {
    status: 400,
    meaning: 'Field detail: a required field is missing.',
    action: 'Add the field.',
  },
  PLT_FIELD_TYPE: {
    status: 400,
    meaning: 'Field detail: the field has the wrong JSON type.',
    action: 'Send the declared type (numbers are not accepted as strings in a JSON body).',
  },
  PLT_FIELD_FORMAT: {
    status: 400,
    meaning: 'Field detail: the field does not match the declared pattern or format.',
    action: 'Send a value in the declared format.',
  },
  PLT_FIELD_RANGE: {
    status: 400,
    meaning: 'Field detail: the value, length or item count is out of the declared range.',
    action: 'Send a value within the declared limits.',
  },
  PLT_FIELD_NOT_ALLOWED: {
    status: 400,
    meaning: 'Field detail: the value is not one of the allowed values.',
    action: 'Send one of the allowed values (the OpenAPI document lists them).',
  },
  PLT_FIELD_UNKNOWN: {
    status: 400,
    meaning: 'Field detail: the field is not part of the schema.',
    action: 'Remove the field; unknown fields are refused, never silently dropped.',
  },
  PLT_FIELD_INVALID: {
    status: 400,
    meaning: 'Field detail: the field breaks another rule of the schema.',
    action: 'Read the message and the OpenAPI document for the rule.',
  },
  PLT_BAD_JSON: {
    status: 400,
    meaning: 'The body is declared as JSON but is empty or not valid JSON.',
    action: 'Send a valid JSON document.',
  },
  PLT_BAD_ENCODING: {
    status: 400,
    meaning: 'The JSON body is not valid UTF-8 (RFC 8259 §8.1); nothing was read from it.',
    action: 'Send the body encoded in UTF-8 (a windows-1251 export must be converted first).',
  },
  PLT_JSON_TOO_DEEP: {
    status: 400,
    meaning: 'The JSON body nests arrays or objects deeper than 64 levels; no TwinContour document needs that.',
    action: 'Send the document as the OpenAPI schema describes it.',
  },
  PLT_BAD_REQUEST: {
    status: 400,
    meaning: 'The request is malformed at the HTTP level (for example a wrong Content-Length).',
    action: 'Check the client; the message says what is wrong.',
  },
  PLT_URL_TOO_LONG: {
    status: 414,
    meaning: 'A path parameter of the URL is longer than 256 characters; no id of the API is.',
    action: 'Check the URL against the OpenAPI document at /openapi.json.',
  },
  PLT_HEADERS_TOO_LARGE: {
    status: 431,
    meaning: 'The request headers are larger than the server accepts (16 KiB); the connection is closed.',
    action: 'Send fewer or shorter headers; a TwinContour request needs a key and a few short headers.',
  },
  PLT_REQUEST_TIMEOUT: {
    status: 408,
    meaning: 'The request did not arrive whole within the server request timeout; the connection is closed.',
    action: 'Check the client and the network between it and the service, then send the request again.',
  },
  PLT_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    meaning: 'The Content-Type of the body is not accepted by this route.',
    action: 'Send `application/json` (or the type the OpenAPI document lists).',
  },
  PLT_BODY_TOO_LARGE: {
    status: 413,
    meaning: 'The body is larger than the configured limit.',
    action: 'Send a smaller body, or raise the service body limit if the size is legitimate.',
  },
  PLT_NOT_FOUND: {
    status: 404,
    meaning: 'No route matches the method and URL.',
    action: 'Check the URL against the OpenAPI document at /openapi.json.',
  },
  PLT_RATE_LIMITED: {
    status: 429,
    meaning: 'Too many requests from this identity (or address) in the current window.',
    action: 'Retry after the number of seconds in the Retry-After header.',
  },
  PLT_NOT_READY: {
    status: 503,
    meaning: 'A readiness check failed; `details` names every failing dependency.',
    action: 'Check the named dependency (PostgreSQL, Redis, …); the service log has the cause.',
  },
  PLT_CHECK_FAILED: {
    status: 503,
    meaning: 'Readiness detail: one named check failed or timed out.',
    action: 'Check that dependency; the message gives the error class only, the log has the rest.',
  },

  // Authentication and authorisation (auth.ts).
  AUTH_REQUIRED: {
    status: 401,
    meaning: 'No credential: neither an API key nor a registered client certificate.',
    action: 'Send `Authorization: ApiKey <key>` or `X-Api-Key: <key>`, or use the registered client certificate.',
  },
  AUTH_INVALID: {
    status: 401,
    meaning: 'The credential is not known (unknown key, unsupported scheme, unregistered certificate).',
    action: 'Use a key issued for this service; a security officer can check the failed-login audit events.',
  },
  AUTH_FORBIDDEN: {
    status: 403,
    meaning: "The identity's role is not allowed on this route.",
    action: 'Use an identity with one of the roles the route allows (see the OpenAPI document).',
  },
  AUTH_WRONG_CONTOUR: {
    status: 403,
    meaning: 'The identity belongs to another contour; 802-П прил. 1.1 requires separate staff per contour.',
    action: "Use an identity registered for this service's contour; never share one across contours.",
  },
  AUTH_REGISTRY_INVALID: {
    status: 500,
    meaning: 'The identity registry (API key hashes, certificate thumbprints) is invalid; `errors` lists why.',
    action: 'Fix the registry file or variable: unique ids, unique hashes, known roles, 64 hex digits.',
  },

  // Database (migrate.ts).
  DB_MIGRATION_CHANGED: {
    status: 500,
    meaning: 'An applied migration file no longer has the checksum recorded when it was applied.',
    action: 'Restore the original file; schema changes go into a new numbered migration.',
  },
  DB_MIGRATION_MISSING: {
    status: 500,
    meaning: 'The database records a migration that is not in the migrations folder (database newer than code).',
    action: 'Deploy the code that contains the migration, or restore the file.',
  },
  DB_MIGRATION_BAD_NAME: {
    status: 500,
    meaning: 'A `.sql` file in the migrations folder is not named `NNNN_name.sql`.',
    action: 'Rename the file (four digits, underscore, lower-case name).',
  },
  DB_MIGRATION_DUPLICATE: {
    status: 500,
    meaning: 'Two migration files share one number.',
    action: 'Renumber the newer file.',
  },
  DB_MIGRATION_FAILED: {
    status: 500,
    meaning: 'A migration failed and was rolled back; the message carries the PostgreSQL error.',
    action: 'Fix the migration (it was not recorded) and start again.',
  },

  // Queues and the outbox (queue.ts, outbox.ts).
  QUE_BAD_JOB_ID: {
    status: 500,
    meaning: 'An outbox / job id is empty, too long, all digits, or has a character outside [A-Za-z0-9._-].',
    action: 'Derive the id as `<boundary>-<message id>`; BullMQ refuses `:` and all-digit ids.',
  },
  QUE_BAD_QUEUE_NAME: {
    status: 500,
    meaning: 'A queue name or key prefix is empty or has a character outside [A-Za-z0-9._-].',
    action: 'Use a plain name such as `f2c`.',
  },
  QUE_OUTBOX_CONFLICT: {
    status: 500,
    meaning: 'An outbox row with this id already exists with a different queue or payload.',
    action: 'Ids must be deterministic per message: investigate the producer; the first row was kept.',
  },
  QUE_BAD_PAYLOAD: {
    status: 500,
    meaning: 'A job from another contour does not match the boundary contract (boundary.ts): refused, not retried.',
    action: 'Raise a security alert: the sending contour produced a malformed or hostile job; compare versions.',
  },
  QUE_JOB_FAILED: {
    status: 500,
    meaning: 'A job processor threw an error that carried no code of its own.',
    action: 'Look at the worker log for the job id; give the error a stable code.',
  },
});

/** A code of the platform catalog. */
export type PlatformCode = keyof typeof PLATFORM_CODES;
