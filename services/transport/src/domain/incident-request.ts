import { createAjv, type FieldError, type Result } from '@twincontour/platform';

/**
 * The request (обращение) of 802-П п. 19–19.3 as a small structured document: what the authorised person
 * signs (detached CMS over exactly these bytes) and what the Bank of Russia checks (п. 19.5: integrity and
 * authenticity on the main channel; the requisites against the registered persons on the reserve channel).
 * UTF-8 JSON, keys in a fixed order, no insignificant white space: the same request is always the same bytes.
 * Pure: no I/O.
 */

/** `suspend`: ask to suspend the exchange (п. 19 абз. 1); `resume`: ask to cancel the suspension (п. 19 абз. 3). */
export type IncidentRequestKind = 'suspend' | 'resume';

/** The participant as the request names it. */
export interface RequestParticipant {
  name: string;
  /** BIC, 9 digits. */
  bic: string;
  /** УИС (the EDAuthor of its EDs), 10 digits. */
  uic: string;
}

/** The authorised person's requisites (п. 19.3) and the certificate they sign with. */
export interface RequestPerson {
  id: string;
  fullName: string;
  position: string;
  phone: string;
  /** п. 19.3: "при наличии". */
  fax: string | null;
  email: string;
  certificate: { serial: string; issuer: string; thumbprint: string };
}

/** The signed document. */
export interface IncidentRequestDocument {
  type: 'twincontour.incident-request';
  version: 1;
  requestId: string;
  kind: IncidentRequestKind;
  /** The request's name in the regulation's words. */
  title: string;
  basis: string;
  participant: RequestParticipant;
  incident: { id: string; reason: string };
  authorisedPerson: RequestPerson;
  /** ISO 8601 (UTC, milliseconds). */
  createdAt: string;
}

/** Titles of the two requests (802-П п. 19.1: "обращения"). */
export const REQUEST_TITLES: Readonly<Record<IncidentRequestKind, string>> = Object.freeze({
  suspend: 'Обращение о приостановлении обмена электронными сообщениями',
  resume: 'Обращение об отмене приостановления обмена электронными сообщениями',
});

/** The clause the requests rest on. */
export const REQUEST_BASIS = 'Положение Банка России № 802-П, п. 19–19.5';

/** Largest document accepted (a request is well under 4 KiB). */
export const MAX_REQUEST_BYTES = 64 * 1024;

const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const TEXT = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const;

/** JSON Schema of the document: unknown keys refused, every field bounded. */
export const REQUEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: [
    'type',
    'version',
    'requestId',
    'kind',
    'title',
    'basis',
    'participant',
    'incident',
    'authorisedPerson',
    'createdAt',
  ],
  properties: {
    type: { const: 'twincontour.incident-request' },
    version: { const: 1 },
    requestId: { type: 'string', pattern: UUID },
    kind: { enum: ['suspend', 'resume'] },
    title: TEXT(200),
    basis: TEXT(200),
    participant: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'bic', 'uic'],
      properties: {
        name: TEXT(300),
        bic: { type: 'string', pattern: '^[0-9]{9}$' },
        uic: { type: 'string', pattern: '^[0-9]{10}$' },
      },
    },
    incident: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'reason'],
      properties: { id: { type: 'string', pattern: UUID }, reason: TEXT(1000) },
    },
    authorisedPerson: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'fullName', 'position', 'phone', 'fax', 'email', 'certificate'],
      properties: {
        id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
        fullName: TEXT(300),
        position: TEXT(300),
        phone: TEXT(64),
        fax: { anyOf: [TEXT(64), { type: 'null' }] },
        email: { type: 'string', minLength: 3, maxLength: 254 },
        certificate: {
          type: 'object',
          additionalProperties: false,
          required: ['serial', 'issuer', 'thumbprint'],
          properties: {
            serial: { type: 'string', pattern: '^[0-9a-f]{1,64}$' },
            issuer: TEXT(1000),
            thumbprint: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          },
        },
      },
    },
    createdAt: { type: 'string', minLength: 20, maxLength: 40 },
  },
} as const;

const ajv = createAjv({ coerceTypes: false });
const validateRequest = ajv.compile(REQUEST_SCHEMA);

/** What {@link buildRequestDocument} needs. */
export interface RequestInput {
  requestId: string;
  kind: IncidentRequestKind;
  participant: RequestParticipant;
  incident: { id: string; reason: string };
  person: RequestPerson;
  createdAt: Date;
}

/** The document of a request, every key in the fixed order. */
export function buildRequestDocument(input: RequestInput): IncidentRequestDocument {
  const p = input.person;
  return {
    type: 'twincontour.incident-request',
    version: 1,
    requestId: input.requestId,
    kind: input.kind,
    title: REQUEST_TITLES[input.kind],
    basis: REQUEST_BASIS,
    participant: { name: input.participant.name, bic: input.participant.bic, uic: input.participant.uic },
    incident: { id: input.incident.id, reason: input.incident.reason },
    authorisedPerson: {
      id: p.id,
      fullName: p.fullName,
      position: p.position,
      phone: p.phone,
      fax: p.fax,
      email: p.email,
      certificate: { serial: p.certificate.serial, issuer: p.certificate.issuer, thumbprint: p.certificate.thumbprint },
    },
    createdAt: input.createdAt.toISOString(),
  };
}

/** The bytes that are signed: {@link canonicalRequest} of the document, UTF-8. */
export function serializeRequest(document: IncidentRequestDocument): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(canonicalRequest(document)), 'utf8'));
}

/** The document with its keys in the fixed order (a parsed document may have had them in another). */
export function canonicalRequest(document: IncidentRequestDocument): IncidentRequestDocument {
  return buildRequestDocument({
    requestId: document.requestId,
    kind: document.kind,
    participant: document.participant,
    incident: document.incident,
    person: document.authorisedPerson,
    createdAt: new Date(document.createdAt),
  });
}

/**
 * Reads a request document: at most {@link MAX_REQUEST_BYTES}, strict UTF-8, JSON, the schema, a real
 * time, and the title and basis of its kind. Every field error at once (`INC_BAD_DOCUMENT`). The bytes
 * must be the canonical form (what this gateway drafts): a document whose keys were reordered or
 * re-spaced is refused, so what was signed is exactly what is stored and shown. Never throws.
 */
export function parseRequestDocument(bytes: Uint8Array): Result<IncidentRequestDocument> {
  const bad = (message: string, errors?: FieldError[]) =>
    ({ ok: false, code: 'INC_BAD_DOCUMENT', message, ...(errors ? { errors } : {}) }) as const;
  if (bytes.length === 0 || bytes.length > MAX_REQUEST_BYTES)
    return bad(`the document must be 1..${MAX_REQUEST_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return bad('the document is not UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('the document is not JSON');
  }
  if (!validateRequest(value)) {
    const errors: FieldError[] = (validateRequest.errors ?? []).map((e) => ({
      code: 'INC_BAD_DOCUMENT',
      path: `document${e.instancePath.replaceAll('/', '.')}`,
      message: e.message ?? 'invalid',
    }));
    return bad('the document does not match the request schema', errors);
  }
  const document = value as IncidentRequestDocument;
  const time = Date.parse(document.createdAt);
  if (Number.isNaN(time) || new Date(time).toISOString() !== document.createdAt) {
    return bad('createdAt is not an ISO 8601 UTC time with milliseconds');
  }
  if (document.title !== REQUEST_TITLES[document.kind] || document.basis !== REQUEST_BASIS) {
    return bad('the title or basis does not belong to the request kind');
  }
  if (!Buffer.from(serializeRequest(document)).equals(Buffer.from(bytes))) {
    return bad('the document is not in canonical form (key order, spacing)');
  }
  return { ok: true, value: document };
}

/** What a requisite line of the printable copy shows (п. 19.3 and the signature's facts). */
export interface RequisiteLine {
  label: string;
  value: string;
}

/** The requisites of a request in the order the printable copy (п. 19.4) lists them. */
export function requisiteLines(
  document: IncidentRequestDocument,
  signature: { documentSha256: string; signatureSha256: string; signedAt?: string | undefined },
): RequisiteLine[] {
  const p = document.authorisedPerson;
  return [
    { label: 'Номер обращения (requestId)', value: document.requestId },
    {
      label: 'Вид обращения',
      value: document.kind === 'suspend' ? 'о приостановлении обмена' : 'об отмене приостановления обмена',
    },
    { label: 'Участник ССНП', value: document.participant.name },
    { label: 'БИК', value: document.participant.bic },
    { label: 'УИС', value: document.participant.uic },
    { label: 'Инцидент', value: document.incident.id },
    { label: 'Причина', value: document.incident.reason },
    { label: 'Уполномоченное лицо (ФИО)', value: p.fullName },
    { label: 'Должность', value: p.position },
    { label: 'Телефон', value: p.phone },
    { label: 'Факс', value: p.fax ?? 'нет' },
    { label: 'Электронная почта', value: p.email },
    { label: 'Дата и время обращения (UTC)', value: document.createdAt },
    { label: 'Сертификат: серийный номер', value: p.certificate.serial },
    { label: 'Сертификат: издатель', value: p.certificate.issuer },
    { label: 'Сертификат: отпечаток SHA-256', value: p.certificate.thumbprint },
    { label: 'SHA-256 документа обращения', value: signature.documentSha256 },
    { label: 'SHA-256 подписи (CMS)', value: signature.signatureSha256 },
    ...(signature.signedAt ? [{ label: 'Время подписания', value: signature.signedAt }] : []),
  ];
}

/** The Bank of Russia's answer to a request, as its signed document says. */
export interface IncidentAnswerDocument {
  type: 'cbr.incident-answer';
  version: 1;
  requestId: string;
  kind: IncidentRequestKind;
  /** `accepted`: done (suspended / cancelled); `refused`: not taken (п. 19.5), `code` says why. */
  decision: 'accepted' | 'refused';
  code?: string;
  message?: string;
  /** The exchange with the participant after this answer. */
  exchange: 'suspended' | 'running';
  /** Messages of the participant the Bank of Russia annulled (a suspension). */
  annulled: number;
  at: string;
}

const validateAnswer = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ['type', 'version', 'requestId', 'kind', 'decision', 'exchange', 'annulled', 'at'],
  properties: {
    type: { const: 'cbr.incident-answer' },
    version: { const: 1 },
    requestId: { type: 'string', pattern: UUID },
    kind: { enum: ['suspend', 'resume'] },
    decision: { enum: ['accepted', 'refused'] },
    code: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Z][A-Z0-9_]*$' },
    message: { type: 'string', maxLength: 2000 },
    exchange: { enum: ['suspended', 'running'] },
    annulled: { type: 'integer', minimum: 0 },
    at: { type: 'string', minLength: 20, maxLength: 40 },
  },
});

/** Reads the Bank of Russia's answer document (bounded, strict UTF-8, schema). Never throws. */
export function parseAnswerDocument(bytes: Uint8Array): Result<IncidentAnswerDocument> {
  if (bytes.length === 0 || bytes.length > MAX_REQUEST_BYTES) {
    return { ok: false, code: 'INC_CHANNEL_FAILED', message: 'the answer document has no acceptable size' };
  }
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    if (validateAnswer(value)) return { ok: true, value: value as IncidentAnswerDocument };
  } catch {
    // Falls through to the refusal.
  }
  return { ok: false, code: 'INC_CHANNEL_FAILED', message: 'the answer is not a Bank of Russia incident answer' };
}
