import { createHash, randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { type CertificateValidator, encryptFor } from '@twincontour/crypto';
import type { Logger } from 'pino';
import { SIMULATOR_CODES, type SimulatorCode } from '../errors.js';
import { type IncidentDesk, MAX_INCIDENT_BODY } from '../incidents.js';
import type { Intake } from '../intake.js';
import type { PublishedAnswer } from './repository.js';

/** What the mTLS intake is built from. */
export interface MtlsServerOptions {
  /** The simulator's TLS identity (the cbr key and certificate, PEM) and the CA(s) client certificates chain to. */
  tls: { key: string; cert: string; ca: readonly string[] };
  /** SHA-256 thumbprint (hex) of the participant's registered transport certificate: the only client accepted. */
  participantThumbprint: string;
  /** The participant's transport certificate (DER): answers are encrypted to it. */
  participantCertificate: Uint8Array;
  /** The trust store: the client certificate must also be valid now, not revoked, and of contour `transport`. */
  validator: CertificateValidator;
  intake: Intake;
  /** The participant's published answers after a cursor. */
  answersAfter: (after: number, limit: number) => Promise<PublishedAnswer[]>;
  /** Largest accepted body, bytes. */
  bodyLimit: number;
  /** The incident desk (802-П п. 19): POST /v1/exchange/incident; absent, the route answers 404. */
  incidents?: IncidentDesk;
  logger: Logger;
}

const ED_REF = /^[0-9]{10}-[0-9]{4}-[0-9]{2}-[0-9]{2}-[1-9][0-9]{0,8}$/;
const CURSOR = /^(0|[1-9][0-9]{0,17})$/;
const LIMIT = /^[1-9][0-9]{0,3}$/;

class HttpRefusal extends Error {
  constructor(
    readonly code: SimulatorCode,
    message?: string,
  ) {
    super(message ?? SIMULATOR_CODES[code].meaning);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The platform's error body (`{ statusCode, code, error, message, requestId }`) for a SIM_* code. */
function sendError(res: ServerResponse, requestId: string, code: SimulatorCode, message?: string): void {
  const status = SIMULATOR_CODES[code].status;
  // A 5xx hides its cause; the log keeps it under the request id.
  const text = status >= 500 ? SIMULATOR_CODES[code].meaning : (message ?? SIMULATOR_CODES[code].meaning);
  send(
    res,
    status,
    { statusCode: status, code, error: STATUS_CODES[status] ?? 'Error', message: text, requestId },
    { 'x-request-id': requestId, ...(status === 413 ? { connection: 'close' } : {}) },
  );
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new HttpRefusal('SIM_BODY_TOO_LARGE'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpRefusal('SIM_BODY_TOO_LARGE'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The simulator's exchange endpoint: a node https server with mutual TLS (802-П п. 14.3: a mutually
 * authenticated channel). `requestCert` + `rejectUnauthorized` refuse, during the handshake, a client
 * without a certificate or with one that does not chain to the CA; a certificate that chains but is not
 * the participant's registered transport certificate is answered 403 `SIM_CLIENT_FORBIDDEN`.
 *
 * - `POST /v1/exchange` (`Content-Type: application/cms`, optional `X-Ed-Ref: <EDAuthor>-<EDDate>-<EDNo>`):
 *   the envelope encrypted to the cbr certificate; 202 with the receipt, or 200 with
 *   `Idempotent-Replayed: true` for a retry of the same envelope under the same reference.
 * - `GET /v1/exchange/answers?after=<cursor>&limit=<n>`: `{ items: [{ id, envelopeBase64 }], next }`, each
 *   envelope a CMS EnvelopedData to the participant's transport certificate around the `sen:SigEnvelope`.
 */
export function createMtlsServer(options: MtlsServerOptions): Server {
  const { logger } = options;
  const expected = options.participantThumbprint.replace(/:/g, '').toLowerCase();

  function authorize(req: IncomingMessage): void {
    const socket = req.socket as TLSSocket;
    const peer = socket.authorized ? socket.getPeerCertificate() : undefined;
    const raw = peer && 'raw' in peer ? (peer.raw as Buffer | undefined) : undefined;
    if (!raw || raw.length === 0) throw new HttpRefusal('SIM_CLIENT_FORBIDDEN');
    const thumbprint = createHash('sha256').update(raw).digest('hex');
    const check = options.validator.check(new Uint8Array(raw), { expectedContour: 'transport' });
    if (thumbprint !== expected || !check.ok) {
      logger.warn(
        { event: 'security', certificateSha256: thumbprint, code: check.ok ? 'NOT_REGISTERED' : check.code },
        'exchange client refused',
      );
      throw new HttpRefusal('SIM_CLIENT_FORBIDDEN');
    }
  }

  async function postExchange(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim()
      .toLowerCase();
    if (type !== 'application/cms') throw new HttpRefusal('SIM_UNSUPPORTED_MEDIA_TYPE');
    const refHeader = req.headers['x-ed-ref'];
    if (refHeader !== undefined && (typeof refHeader !== 'string' || !ED_REF.test(refHeader))) {
      throw new HttpRefusal('SIM_BAD_REQUEST', 'X-Ed-Ref must be <EDAuthor>-<EDDate>-<EDNo>');
    }
    const body = await readBody(req, options.bodyLimit);
    const result = await options.intake.receive({ channel: 'https', ref: refHeader, bytes: new Uint8Array(body) });
    if (!result.ok) throw new HttpRefusal(result.code, result.message);
    const { receipt, retried } = result.value;
    const answer = { id: receipt.id, ed: receipt.ed, ctrlCode: receipt.ctrlCode, receivedAt: receipt.receivedAt };
    send(res, retried ? 200 : 202, answer, {
      'x-request-id': requestId,
      ...(retried ? { 'idempotent-replayed': 'true' } : {}),
    });
  }

  /** 802-П п. 19.1: a request (обращение) through the main channel; the desk answers with a signed document. */
  async function postIncident(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const desk = options.incidents;
    if (!desk) throw new HttpRefusal('SIM_NOT_FOUND');
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim()
      .toLowerCase();
    if (type !== 'application/json') throw new HttpRefusal('SIM_UNSUPPORTED_MEDIA_TYPE');
    const body = await readBody(req, Math.min(options.bodyLimit, MAX_INCIDENT_BODY));
    const answer = await desk.receive(new Uint8Array(body));
    if (!answer) {
      throw new HttpRefusal('SIM_BAD_REQUEST', 'expected { requestId, kind, documentBase64, signatureBase64 }');
    }
    const refused = answer.status >= 400;
    send(
      res,
      answer.status,
      refused
        ? {
            statusCode: answer.status,
            error: STATUS_CODES[answer.status] ?? 'Error',
            message: SIMULATOR_CODES[answer.body.code as SimulatorCode]?.meaning ?? 'refused',
            requestId,
            ...answer.body,
          }
        : answer.body,
      { 'x-request-id': requestId },
    );
  }

  async function getAnswers(url: URL, res: ServerResponse, requestId: string): Promise<void> {
    const after = url.searchParams.get('after') ?? '0';
    const limit = url.searchParams.get('limit') ?? '100';
    if (!CURSOR.test(after)) throw new HttpRefusal('SIM_BAD_REQUEST', 'after must be a cursor from `next`');
    if (!LIMIT.test(limit) || Number(limit) > 1000) throw new HttpRefusal('SIM_BAD_REQUEST', 'limit must be 1..1000');
    const answers = await options.answersAfter(Number(after), Number(limit));
    // Application-level encryption of every answer to the participant (802-П п. 14.3).
    const items = await Promise.all(
      answers.map(async (a) => ({
        id: String(a.seq),
        kind: a.kind,
        envelopeBase64: Buffer.from(await encryptFor(a.envelope, options.participantCertificate)).toString('base64'),
      })),
    );
    const next = answers.length > 0 ? String(answers[answers.length - 1]?.seq) : after;
    send(res, 200, { items, next }, { 'x-request-id': requestId });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    try {
      authorize(req);
      const url = new URL(req.url ?? '/', 'https://cbr-simulator');
      if (url.pathname === '/v1/exchange/incident') {
        if (req.method !== 'POST') throw new HttpRefusal('SIM_METHOD_NOT_ALLOWED');
        await postIncident(req, res, requestId);
      } else if (url.pathname === '/v1/exchange') {
        if (req.method !== 'POST') throw new HttpRefusal('SIM_METHOD_NOT_ALLOWED');
        await postExchange(req, res, requestId);
      } else if (url.pathname === '/v1/exchange/answers') {
        if (req.method !== 'GET') throw new HttpRefusal('SIM_METHOD_NOT_ALLOWED');
        await getAnswers(url, res, requestId);
      } else throw new HttpRefusal('SIM_NOT_FOUND');
    } catch (error) {
      if (error instanceof HttpRefusal) {
        sendError(res, requestId, error.code, error.message);
        return;
      }
      logger.error({ err: error, requestId }, 'exchange request failed');
      sendError(res, requestId, 'SIM_INTERNAL');
    }
  }

  const server = createServer(
    {
      key: options.tls.key,
      cert: options.tls.cert,
      ca: [...options.tls.ca],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      void handle(req, res);
    },
  );
  server.on('tlsClientError', (error) =>
    logger.warn({ event: 'security', err: error.message }, 'TLS handshake refused'),
  );
  return server;
}
