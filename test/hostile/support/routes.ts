import type { DeclaredRoute } from '@twincontour/platform';
import {
  type Body,
  exampleOrder,
  hostileBodies,
  hostileHeaders,
  hostileParams,
  hostileQueries,
  mutatedDocuments,
} from './inputs.js';

/** One request of the route fuzz. */
export interface HostileRequest {
  kind: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** A body each known writing route accepts, so that it can be sent in every wrong dress; `{}` otherwise. */
export function validBodyOf(method: string, url: string): Record<string, unknown> | undefined {
  const route = `${method} ${url}`;
  if (route === 'POST /v1/payment-orders' || route === 'POST /v1/source-documents') return exampleOrder();
  if (route === 'POST /v1/webhooks') return { url: 'https://backoffice.example/hooks', stages: ['executed'] };
  return undefined;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** True for a method that may change state. */
export function isWrite(method: string): boolean {
  return WRITES.has(method);
}

let sequence = 0;

/**
 * The hostile requests of one declared route: hostile path parameters, query strings and headers for
 * every route; for a writing route also hostile bodies (see inputs.ts) and mutations of a valid body.
 * `intensity` scales the random draws (the fixed cases are always sent).
 */
export function hostileRequests(
  route: DeclaredRoute,
  auth: Record<string, string>,
  options: { bodyLimit: number; intensity: number; salt: number },
): HostileRequest[] {
  const out: HostileRequest[] = [];
  const n = options.intensity;
  const params = route.url.match(/:[A-Za-z0-9_]+/g) ?? [];
  const fill = (value: string) => params.reduce((url, p) => url.replace(p, value), route.url);
  const benign = fill('hostile-0001');
  const valid = validBodyOf(route.method, route.url);
  const write = isWrite(route.method) && route.method !== 'DELETE';
  const headersFor = (extra: Record<string, string> = {}) => ({
    ...auth,
    // A key per request: a body that happens to be valid makes a new order, never a replay.
    'idempotency-key': `hostile-${++sequence}`,
    ...extra,
  });
  const send = (kind: string, url: string, headers: Record<string, string>, body?: Body) => {
    const request: HostileRequest = { kind, method: route.method, url, headers: { ...headers } };
    if (body) {
      request.payload = body.payload;
      if (body.contentType !== undefined) request.headers['content-type'] = body.contentType;
    }
    out.push(request);
  };
  // Path and query cases of a writing route carry an empty document (refused after them, and cheaply);
  // header cases carry the valid one, so that the headers alone decide (an idempotency key, a request id).
  const emptyBody: Body | undefined = write
    ? { kind: 'empty', contentType: 'application/json', payload: '{}' }
    : undefined;
  const validBody: Body | undefined = write
    ? { kind: 'valid', contentType: 'application/json', payload: JSON.stringify(valid ?? {}) }
    : undefined;

  if (params.length > 0) {
    for (const { kind, value } of hostileParams(n, options.salt)) send(kind, fill(value), headersFor(), emptyBody);
  }
  for (const { kind, query } of hostileQueries(n, options.salt + 1)) {
    send(kind, `${benign}?${query}`, headersFor(), emptyBody);
  }
  for (const { kind, headers } of hostileHeaders(Math.ceil(n / 2), options.salt + 2)) {
    // Header cases replace the generated idempotency key when they carry one.
    send(kind, benign, { ...headersFor(), ...headers }, validBody);
  }
  if (write) {
    for (const body of hostileBodies({
      bodyLimit: options.bodyLimit,
      random: n,
      salt: options.salt + 3,
      ...(valid ? { valid } : {}),
    })) {
      send(body.kind, benign, headersFor(), body);
    }
    if (valid) {
      for (const doc of mutatedDocuments(valid, n * 3, options.salt + 4)) {
        send('mutated-document', benign, headersFor(), {
          kind: 'mutated-document',
          contentType: 'application/json',
          payload: JSON.stringify(doc),
        });
      }
    }
  }
  return out;
}
