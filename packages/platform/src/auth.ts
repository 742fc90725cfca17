import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest, FastifySchema, RouteOptions } from 'fastify';
import { cfg } from './config-schema.js';
import { AppError } from './errors.js';
import { type FieldError, fail, ok, type Result } from './result.js';

/**
 * The roles of the gateway. One identity holds exactly one role in exactly one contour: 802-П прил. 1.1
 * asks for separate staff in the formation and control contours, so nobody can hold roles in both.
 * `service` is the role of another TwinContour service or a monitoring scraper calling over HTTP.
 */
export const ROLES = Object.freeze([
  'backoffice',
  'formation-operator',
  'control-operator',
  'security-officer',
  'ops',
  'service',
] as const);

/** A role of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** One registered identity: an id, one role, one contour, and how it proves itself. */
export interface IdentityRecord {
  /** Stable id of the person or system (appears in logs and audit events). */
  readonly id: string;
  readonly role: Role;
  /** The contour this identity belongs to (`formation`, `control`, `transport`, …). */
  readonly contour: string;
  /** SHA-256 of the API key, 64 lower-case hex digits. The key itself is never stored. */
  readonly keySha256?: string;
  /** SHA-256 thumbprint of the DER client certificate (mTLS), 64 hex digits, colons allowed. */
  readonly certSha256?: string;
}

/** Who made a request, after authentication. */
export interface Identity {
  readonly id: string;
  readonly role: Role;
  readonly contour: string;
  /** How the identity proved itself. */
  readonly via: 'api-key' | 'client-certificate';
}

/** The config schema of one registry entry (for `TWINCONTOUR_IDENTITIES` or a key file). */
export const identityRecordSchema = cfg.object({
  id: cfg.string({ pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$' }),
  role: cfg.enum(ROLES as unknown as readonly [Role, ...Role[]]),
  contour: cfg.string({ pattern: '^[a-z][a-z0-9-]{0,63}$' }),
  keySha256: cfg.optional(cfg.string({ pattern: '^[0-9a-fA-F]{64}$' })),
  certSha256: cfg.optional(cfg.string({ pattern: '^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$' })),
});

/** Lookup of identities by credential. */
export interface IdentityRegistry {
  /** The identity whose key hash matches `key`; every entry is compared, in constant time. */
  findByApiKey(key: string): IdentityRecord | undefined;
  /** The identity bound to a client-certificate SHA-256 thumbprint (hex, colons allowed). */
  findByCertificate(sha256: string): IdentityRecord | undefined;
  /** True when any identity is bound to a client certificate. */
  readonly hasCertificates: boolean;
  /** Number of identities. */
  readonly size: number;
}

/** SHA-256 of an API key as 64 lower-case hex digits: what the registry stores. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random API key (32 bytes, base64url) and the hash to put in the registry. */
export function generateApiKey(): { key: string; keySha256: string } {
  const key = `tck_${randomBytes(32).toString('base64url')}`;
  return { key, keySha256: hashApiKey(key) };
}

/** Normalizes a certificate thumbprint to 64 lower-case hex digits without colons. */
export function normalizeThumbprint(thumbprint: string): string {
  return thumbprint.replace(/:/g, '').toLowerCase();
}

/** Keys longer than this are refused without hashing (headers are capped anyway; this bounds the work). */
const MAX_KEY_LENGTH = 512;
const HEX64 = /^[0-9a-f]{64}$/;
const ROLE_SET: ReadonlySet<string> = new Set(ROLES);

/**
 * Builds the registry, checking every entry and reporting every problem at once
 * (`AUTH_REGISTRY_INVALID` with one entry per problem): known role, a contour, at least one credential,
 * unique ids, and no key or certificate bound to two identities.
 */
export function createIdentityRegistry(records: readonly IdentityRecord[]): Result<IdentityRegistry> {
  const errors: FieldError[] = [];
  const problem = (path: string, message: string) => errors.push({ code: 'AUTH_REGISTRY_INVALID', path, message });
  const ids = new Set<string>();
  const keyOwners = new Map<string, string>();
  const certOwners = new Map<string, IdentityRecord>();
  const keyed: { hash: Buffer; record: IdentityRecord }[] = [];

  records.forEach((record, i) => {
    const at = `[${i}]`;
    if (typeof record.id !== 'string' || record.id === '') problem(`${at}.id`, 'is required');
    else if (ids.has(record.id)) problem(`${at}.id`, `duplicates identity ${record.id}`);
    else ids.add(record.id);
    if (!ROLE_SET.has(record.role)) problem(`${at}.role`, `must be one of: ${ROLES.join(', ')}`);
    if (typeof record.contour !== 'string' || record.contour === '') problem(`${at}.contour`, 'is required');
    if (record.keySha256 === undefined && record.certSha256 === undefined) {
      problem(at, 'has neither keySha256 nor certSha256');
    }
    if (record.keySha256 !== undefined) {
      const hash = record.keySha256.toLowerCase();
      if (!HEX64.test(hash)) problem(`${at}.keySha256`, 'must be 64 hex digits');
      else if (keyOwners.has(hash)) problem(`${at}.keySha256`, `is also the key of ${keyOwners.get(hash)}`);
      else {
        keyOwners.set(hash, record.id);
        keyed.push({ hash: Buffer.from(hash, 'hex'), record: Object.freeze({ ...record, keySha256: hash }) });
      }
    }
    if (record.certSha256 !== undefined) {
      const thumbprint = normalizeThumbprint(record.certSha256);
      if (!HEX64.test(thumbprint)) problem(`${at}.certSha256`, 'must be 64 hex digits');
      else if (certOwners.has(thumbprint)) {
        problem(`${at}.certSha256`, `is also the certificate of ${certOwners.get(thumbprint)?.id}`);
      } else certOwners.set(thumbprint, Object.freeze({ ...record, certSha256: thumbprint }));
    }
  });
  if (errors.length > 0) return fail('AUTH_REGISTRY_INVALID', 'the identity registry is invalid', errors);

  const registry: IdentityRegistry = {
    findByApiKey(key) {
      if (key.length === 0 || key.length > MAX_KEY_LENGTH) return undefined;
      const presented = createHash('sha256').update(key, 'utf8').digest();
      let found: IdentityRecord | undefined;
      // Compare against every entry without stopping at a match, so the time taken says nothing about
      // which entry (or whether any) matched.
      for (const entry of keyed) {
        if (timingSafeEqual(presented, entry.hash)) found = entry.record;
      }
      return found;
    },
    findByCertificate(sha256) {
      return certOwners.get(normalizeThumbprint(sha256));
    },
    hasCertificates: certOwners.size > 0,
    size: records.length,
  };
  return ok(Object.freeze(registry));
}

/** Codes of a refused request. */
export type AuthFailureCode = 'AUTH_REQUIRED' | 'AUTH_INVALID' | 'AUTH_FORBIDDEN' | 'AUTH_WRONG_CONTOUR';

/** A failed login or a refused access, for the audit log. Never carries the presented key. */
export interface AuthFailureEvent {
  code: AuthFailureCode;
  /** ISO 8601 time. */
  at: string;
  /** The contour of this service. */
  contour: string;
  requestId: string;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Route template when the URL matched one (`/v1/orders/:id`). */
  route?: string;
  ip: string;
  /** What the caller presented. */
  credential: 'none' | 'api-key' | 'client-certificate' | 'unsupported-scheme';
  /** First 16 hex digits of SHA-256 of the presented key: correlates repeated attempts, reveals nothing. */
  keyFingerprint?: string;
  /** The client certificate's SHA-256 thumbprint, when one was presented. */
  certificateSha256?: string;
  /** The identity, when the credential was known (wrong role or wrong contour). */
  identityId?: string;
  identityRole?: Role;
  identityContour?: string;
}

/** Options of {@link installAuth}. */
export interface AuthOptions {
  /** This service's contour; identities of any other contour are refused (`AUTH_WRONG_CONTOUR`). */
  contour: string;
  registry: IdentityRegistry;
  /** Called for every refused request (the audit package plugs in here). Its errors are logged, not thrown. */
  onAuthFailure?: (event: AuthFailureEvent) => void | Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; `null` on public routes. */
    identity: Identity | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route. Every route declares roles or `public: true`; the app refuses to start otherwise. */
    roles?: readonly Role[];
    /** No authentication (health, readiness, the OpenAPI document). */
    public?: boolean;
  }
}

/** Client-facing messages: they name the rule, never the identity or the key. */
const AUTH_MESSAGES: Readonly<Record<AuthFailureCode, string>> = {
  AUTH_REQUIRED: 'authentication required',
  AUTH_INVALID: 'the credential is not valid',
  AUTH_FORBIDDEN: 'this role may not use this route',
  AUTH_WRONG_CONTOUR: "the identity does not belong to this service's contour",
};

/** Security requirements put in the OpenAPI document of every protected route. */
function securityRequirements(withCertificates: boolean): Record<string, string[]>[] {
  const out: Record<string, string[]>[] = [{ apiKeyHeader: [] }, { apiKeyAuthorization: [] }];
  if (withCertificates) out.push({ clientCertificate: [] });
  return out;
}

type Presented =
  | { kind: 'none' }
  | { kind: 'key'; key: string }
  | { kind: 'unsupported-scheme' }
  | { kind: 'ambiguous'; key: string };

/** Reads `Authorization: ApiKey <key>` or `X-Api-Key: <key>`. */
function presentedKey(request: FastifyRequest): Presented {
  const authorization = request.headers.authorization;
  const header = request.headers['x-api-key'];
  const xApiKey = typeof header === 'string' && header !== '' ? header : undefined;
  let fromAuthorization: string | undefined;
  if (typeof authorization === 'string' && authorization !== '') {
    const match = /^ApiKey[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match?.[1]) fromAuthorization = match[1];
    else if (xApiKey === undefined) return { kind: 'unsupported-scheme' };
  }
  if (fromAuthorization !== undefined && xApiKey !== undefined && fromAuthorization !== xApiKey) {
    return { kind: 'ambiguous', key: fromAuthorization };
  }
  const key = fromAuthorization ?? xApiKey;
  return key === undefined ? { kind: 'none' } : { kind: 'key', key };
}

/** The verified client certificate's thumbprint, when the connection is TLS and the CA check passed. */
function verifiedCertificate(request: FastifyRequest): string | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function' || socket.authorized !== true) return undefined;
  const certificate = socket.getPeerCertificate();
  return certificate?.fingerprint256 ? normalizeThumbprint(certificate.fingerprint256) : undefined;
}

/** Checks a route's auth declaration; a missing one is a programming error caught when the app is built. */
function checkRouteDeclaration(route: RouteOptions): void {
  const config = (route.config ?? {}) as { roles?: unknown; public?: unknown };
  if (config.public === true) return;
  const roles = config.roles;
  const where = `${String(route.method)} ${route.url}`;
  if (!Array.isArray(roles) || roles.length === 0) {
    throw new Error(`route ${where} declares neither config.roles nor config.public`);
  }
  for (const role of roles) {
    if (!ROLE_SET.has(role)) throw new Error(`route ${where} declares unknown role ${String(role)}`);
  }
}

/**
 * Installs authentication on the root instance (call before any route is registered):
 *
 * - every route must declare `config.roles` or `config.public: true` (checked when the route is added);
 * - an `onRequest` hook authenticates before the body is even read: a verified client certificate bound
 *   to an identity, else an API key (`Authorization: ApiKey <key>` or `X-Api-Key`);
 * - no credential → 401 `AUTH_REQUIRED`; unknown key, unsupported scheme or two different keys → 401
 *   `AUTH_INVALID`; an identity of another contour → 403 `AUTH_WRONG_CONTOUR` (802-П прил. 1.1); a role
 *   the route does not allow → 403 `AUTH_FORBIDDEN`;
 * - an unknown URL still needs a valid identity of this contour before it answers 404, so an
 *   unauthenticated caller learns nothing about which routes exist;
 * - every refusal is logged (without the key) and passed to `onAuthFailure`.
 */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  const { contour, registry, onAuthFailure } = options;
  app.decorateRequest('identity', null);

  app.addHook('onRoute', (route) => {
    checkRouteDeclaration(route);
    const config = (route.config ?? {}) as { roles?: readonly Role[]; public?: boolean };
    const schema = (route.schema ?? {}) as Record<string, unknown>;
    // The OpenAPI document shows each route's security and allowed roles (`x-roles`); fastify ignores both.
    const documented =
      config.public === true
        ? { ...schema, security: [] }
        : { ...schema, security: securityRequirements(registry.hasCertificates), 'x-roles': [...(config.roles ?? [])] };
    route.schema = documented as FastifySchema;
  });

  const refuse = async (
    request: FastifyRequest,
    code: AuthFailureCode,
    extra: Partial<AuthFailureEvent>,
  ): Promise<AppError> => {
    const event: AuthFailureEvent = {
      code,
      at: new Date().toISOString(),
      contour,
      requestId: String(request.id),
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      ip: request.ip,
      credential: 'none',
      ...extra,
    };
    const route = request.routeOptions.url;
    if (route !== undefined && !request.is404) event.route = route;
    request.log.warn({ auth: event }, 'access refused');
    if (onAuthFailure) {
      try {
        await onAuthFailure(event);
      } catch (error) {
        request.log.error({ err: error }, 'onAuthFailure callback failed');
      }
    }
    const status = code === 'AUTH_REQUIRED' || code === 'AUTH_INVALID' ? 401 : 403;
    return new AppError(code, status, AUTH_MESSAGES[code]);
  };

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config as { roles?: readonly Role[]; public?: boolean };
    if (config.public === true) return;

    let record: IdentityRecord | undefined;
    let via: Identity['via'] = 'api-key';
    const certificate = registry.hasCertificates ? verifiedCertificate(request) : undefined;
    const certExtra: Partial<AuthFailureEvent> = certificate ? { certificateSha256: certificate } : {};
    if (certificate) {
      record = registry.findByCertificate(certificate);
      via = 'client-certificate';
    }
    if (!record) {
      const presented = presentedKey(request);
      via = 'api-key';
      if (presented.kind === 'none') {
        void reply.header('www-authenticate', 'ApiKey');
        throw await refuse(
          request,
          certificate ? 'AUTH_INVALID' : 'AUTH_REQUIRED',
          certificate ? { ...certExtra, credential: 'client-certificate' } : {},
        );
      }
      if (presented.kind === 'unsupported-scheme') {
        void reply.header('www-authenticate', 'ApiKey');
        throw await refuse(request, 'AUTH_INVALID', { ...certExtra, credential: 'unsupported-scheme' });
      }
      const fingerprint = hashApiKey(presented.key).slice(0, 16);
      record = presented.kind === 'key' ? registry.findByApiKey(presented.key) : undefined;
      if (!record) {
        void reply.header('www-authenticate', 'ApiKey');
        throw await refuse(request, 'AUTH_INVALID', {
          ...certExtra,
          credential: 'api-key',
          keyFingerprint: fingerprint,
        });
      }
    }

    const who: Partial<AuthFailureEvent> = {
      ...certExtra,
      credential: via,
      identityId: record.id,
      identityRole: record.role,
      identityContour: record.contour,
    };
    if (record.contour !== contour) throw await refuse(request, 'AUTH_WRONG_CONTOUR', who);
    request.identity = Object.freeze({ id: record.id, role: record.role, contour: record.contour, via });
    // An unknown URL answers 404 to any identity of this contour; no role applies to it.
    if (request.is404) return;
    if (!config.roles?.includes(record.role)) throw await refuse(request, 'AUTH_FORBIDDEN', who);
  });
}

/** OpenAPI security schemes matching {@link installAuth}. */
export const SECURITY_SCHEMES = Object.freeze({
  apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
  apiKeyAuthorization: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'The value is `ApiKey <key>`.',
  },
  clientCertificate: { type: 'mutualTLS', description: 'A client certificate registered by its SHA-256 thumbprint.' },
});
