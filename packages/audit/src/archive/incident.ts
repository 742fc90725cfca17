import type { FieldError } from '@twincontour/platform';

/**
 * The bodies of the incident exchange (802-П п. 19–19.5) as they go over the main channel, and so as the
 * archive keeps them (802-П п. 11: exactly as sent or received). Each is a small JSON object carrying a
 * document and the detached CMS over it, both base64:
 *
 * - `incident-request` (out): `{"requestId","kind","documentBase64","signatureBase64"}` — what transport
 *   POSTs to the Bank of Russia: the request document the gateway drafted and the authorised person's
 *   signature over exactly those bytes. Transport writes it with {@link serializeIncidentRequestBody}, so
 *   the parser demands that canonical form: one byte string per request, nothing else accepted.
 * - `incident-answer` (in): `{"answerBase64","signatureBase64", …}` — the Bank of Russia's answer document
 *   and its signature. It is the peer's text: other (unsigned, informational) keys such as `code` are
 *   allowed and ignored; transport reads answers with {@link parseIncidentAnswerBody} too, so every answer
 *   it took is one the archive can read again.
 *
 * Pure; never throws on any bytes.
 */

/** Archive kind of a request transport sent (direction `out`). */
export const INCIDENT_REQUEST_KIND = 'incident-request';
/** Archive kind of an answer transport received (direction `in`). */
export const INCIDENT_ANSWER_KIND = 'incident-answer';

/** Largest body read (the Bank of Russia simulator's intake limit; a request is a few KiB). */
export const MAX_INCIDENT_BODY = 256 * 1024;

/** A request body: what the authorised person signed (`document`) and the detached CMS (`signature`). */
export interface IncidentRequestBody {
  requestId: string;
  kind: 'suspend' | 'resume';
  document: Uint8Array;
  signature: Uint8Array;
}

/** An answer body: the Bank of Russia's answer document and its detached CMS. */
export interface IncidentAnswerBody {
  document: Uint8Array;
  signature: Uint8Array;
}

/** A body that cannot be read: every problem found, with the field it concerns. */
export interface IncidentBodyFailure {
  ok: false;
  code: 'ARC_INCIDENT_UNREADABLE';
  message: string;
  errors: FieldError[];
}

/** The outcome of a parser. */
export type IncidentBodyResult<T> = { ok: true; value: T } | IncidentBodyFailure;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const REQUEST_KEYS = ['requestId', 'kind', 'documentBase64', 'signatureBase64'] as const;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function failure(errors: FieldError[]): IncidentBodyFailure {
  return {
    ok: false,
    code: 'ARC_INCIDENT_UNREADABLE',
    message: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
    errors,
  };
}

const problem = (path: string, message: string): FieldError => ({ code: 'ARC_INCIDENT_UNREADABLE', path, message });

/** A JSON object from bounded, strict UTF-8 bytes; the problem otherwise. */
function readObject(bytes: Uint8Array): { value: Record<string, unknown> } | { error: FieldError } {
  if (bytes.length === 0 || bytes.length > MAX_INCIDENT_BODY) {
    return { error: problem('body', `must be 1..${MAX_INCIDENT_BODY} bytes, not ${bytes.length}`) };
  }
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return { error: problem('body', 'is not JSON in UTF-8') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: problem('body', 'is not a JSON object') };
  }
  return { value: value as Record<string, unknown> };
}

/**
 * Decodes a base64 field: standard alphabet, padded, non-empty, and canonical (re-encoding gives the same
 * text, so no two texts stand for the same bytes). `whitespace` allows line breaks and spaces (the peer's
 * answer); transport's own request has none.
 */
function base64Field(
  fields: Record<string, unknown>,
  key: string,
  errors: FieldError[],
  whitespace: boolean,
): Uint8Array | undefined {
  const value = fields[key];
  if (typeof value !== 'string') {
    errors.push(problem(key, 'is missing or not a string'));
    return undefined;
  }
  const compact = whitespace ? value.replace(/[ \t\r\n]+/g, '') : value;
  if (!BASE64.test(compact) || compact.length % 4 !== 0) {
    errors.push(problem(key, 'is not base64'));
    return undefined;
  }
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.toString('base64') !== compact) {
    errors.push(problem(key, 'is not canonical base64'));
    return undefined;
  }
  return new Uint8Array(bytes);
}

/** The body transport sends for a request: the canonical form {@link parseIncidentRequestBody} accepts. */
export function serializeIncidentRequestBody(body: IncidentRequestBody): Uint8Array {
  return new Uint8Array(
    Buffer.from(
      JSON.stringify({
        requestId: body.requestId,
        kind: body.kind,
        documentBase64: Buffer.from(body.document).toString('base64'),
        signatureBase64: Buffer.from(body.signature).toString('base64'),
      }),
      'utf8',
    ),
  );
}

/**
 * Reads a request body strictly: at most {@link MAX_INCIDENT_BODY} bytes, UTF-8, a JSON object with exactly
 * `requestId` (a lowercase UUID), `kind` (`suspend` | `resume`), `documentBase64` and `signatureBase64`
 * (canonical, non-empty), and byte for byte the form {@link serializeIncidentRequestBody} writes (key order,
 * no white space, no duplicate key). Every problem at once (`ARC_INCIDENT_UNREADABLE`). Never throws.
 */
export function parseIncidentRequestBody(bytes: Uint8Array): IncidentBodyResult<IncidentRequestBody> {
  const read = readObject(bytes);
  if ('error' in read) return failure([read.error]);
  const fields = read.value;
  const errors: FieldError[] = [];
  for (const key of Object.keys(fields)) {
    if (!(REQUEST_KEYS as readonly string[]).includes(key)) errors.push(problem(key, 'is not a field of a request'));
  }
  const { requestId, kind } = fields;
  if (typeof requestId !== 'string' || !UUID.test(requestId)) errors.push(problem('requestId', 'is not a UUID'));
  if (kind !== 'suspend' && kind !== 'resume') errors.push(problem('kind', 'is neither suspend nor resume'));
  const document = base64Field(fields, 'documentBase64', errors, false);
  const signature = base64Field(fields, 'signatureBase64', errors, false);
  if (errors.length > 0 || !document || !signature) return failure(errors);
  const value: IncidentRequestBody = {
    requestId: requestId as string,
    kind: kind as IncidentRequestBody['kind'],
    document,
    signature,
  };
  // The archive keeps what was sent: a body in any other spelling is not one transport wrote.
  if (!Buffer.from(serializeIncidentRequestBody(value)).equals(Buffer.from(bytes))) {
    return failure([problem('body', 'is not in the canonical form (key order, spacing, duplicate keys)')]);
  }
  return { ok: true, value };
}

/**
 * Reads an answer body: at most {@link MAX_INCIDENT_BODY} bytes, UTF-8, a JSON object whose
 * `answerBase64` and `signatureBase64` are canonical, non-empty base64 (white space between the characters
 * allowed). Other keys are the peer's unsigned remarks and are ignored. Every problem at once
 * (`ARC_INCIDENT_UNREADABLE`). Never throws.
 */
export function parseIncidentAnswerBody(bytes: Uint8Array): IncidentBodyResult<IncidentAnswerBody> {
  const read = readObject(bytes);
  if ('error' in read) return failure([read.error]);
  const errors: FieldError[] = [];
  const document = base64Field(read.value, 'answerBase64', errors, true);
  const signature = base64Field(read.value, 'signatureBase64', errors, true);
  if (errors.length > 0 || !document || !signature) return failure(errors);
  return { ok: true, value: { document, signature } };
}

/**
 * The document and detached signature of an incident record, by kind; undefined for another kind or a
 * body that does not parse.
 */
export function incidentParts(
  kind: string,
  bytes: Uint8Array,
): { document: Uint8Array; signature: Uint8Array } | undefined {
  const parsed =
    kind === INCIDENT_REQUEST_KIND
      ? parseIncidentRequestBody(bytes)
      : kind === INCIDENT_ANSWER_KIND
        ? parseIncidentAnswerBody(bytes)
        : undefined;
  return parsed?.ok ? { document: parsed.value.document, signature: parsed.value.signature } : undefined;
}
