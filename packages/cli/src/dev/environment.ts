import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPool, generateApiKey, hashApiKey } from '@twincontour/platform';

/** The services `npm start` runs locally, their contour and default port. */
export const DEV_SERVICES = [
  { name: 'formation', contour: 'formation', port: 8081 },
  { name: 'control', contour: 'control', port: 8082 },
  // The simulator first: transport delivers to it as soon as it starts.
  { name: 'cbr-simulator', contour: 'cbr', port: 8084 },
  { name: 'transport', contour: 'transport', port: 8083 },
] as const;

/** A service of {@link DEV_SERVICES}. */
export type DevServiceName = (typeof DEV_SERVICES)[number]['name'];

/** Roles each contour's development staff get (802-П прил. 1.1: no identity is shared between contours). */
const DEV_ROLES: Record<DevServiceName, readonly string[]> = {
  formation: ['backoffice', 'formation-operator', 'security-officer', 'ops'],
  control: ['backoffice', 'control-operator', 'security-officer', 'ops'],
  transport: ['security-officer', 'ops'],
  'cbr-simulator': ['ops'],
};

/** One development identity: the key is kept only in the 0600 credentials file, the services get its hash. */
export interface DevCredential {
  id: string;
  role: string;
  key: string;
}

/** `.dev/credentials.json`: per contour, per role. */
export type DevCredentials = Record<DevServiceName, Record<string, DevCredential>>;

/**
 * Reads the development credentials, making any that are missing (first start). The file is 0600 and
 * lives under `.dev/`, which git ignores; production identities come from TWINCONTOUR_IDENTITIES.
 */
export function ensureDevCredentials(file: string): DevCredentials {
  const existing: Partial<DevCredentials> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  let changed = false;
  const result = {} as DevCredentials;
  for (const service of DEV_SERVICES) {
    const byRole = { ...(existing[service.name] ?? {}) };
    for (const role of DEV_ROLES[service.name]) {
      if (!byRole[role]) {
        byRole[role] = { id: `dev-${service.name}-${role}`, role, key: generateApiKey().key };
        changed = true;
      }
    }
    result[service.name] = byRole;
  }
  if (changed) {
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`, { mode: 0o600 });
  }
  return result;
}

/**
 * A file holding 32 random bytes in base64, made once and kept (mode 0600): formation's key for the
 * webhook secrets at rest. It must survive restarts, or the stored secrets no longer open.
 */
export function ensureDevKeyFile(file: string): string {
  if (!existsSync(file)) {
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return file;
}

/**
 * The TWINCONTOUR_IDENTITIES every service gets: all development identities (hashes only), each bound
 * to its own contour, so that a service recognises another contour's staff and refuses them with
 * AUTH_WRONG_CONTOUR (802-П прил. 1.1) rather than as an unknown key — the audit log can tell the two apart.
 */
export function devIdentities(credentials: DevCredentials): string {
  return JSON.stringify(
    DEV_SERVICES.flatMap((service) =>
      Object.values(credentials[service.name]).map((c) => ({
        id: c.id,
        role: c.role,
        contour: service.contour,
        keySha256: hashApiKey(c.key),
      })),
    ),
  );
}

/** Where PostgreSQL's superuser is reached to create the contours' databases and roles. */
export function adminDatabaseUrl(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const host = env.PGHOST ?? '127.0.0.1';
  const port = env.PGPORT ?? '5432';
  const user = env.PGUSER ?? 'postgres';
  const password = env.PGPASSWORD ? `:${encodeURIComponent(env.PGPASSWORD)}` : '';
  return `postgres://${encodeURIComponent(user)}${password}@${host}:${port}/postgres`;
}

/**
 * Each contour its own database and its own login role that owns it (DESIGN.md: one database and role
 * per service). Idempotent. Returns the connection URL of each service's role.
 */
export async function ensureDevDatabases(
  adminUrl: string,
  services: readonly DevServiceName[],
): Promise<Record<string, string>> {
  const pool = createPool({ connectionString: adminUrl, max: 1, applicationName: 'twincontour-dev-setup' });
  const urls: Record<string, string> = {};
  try {
    for (const service of services) {
      const role = `tc_${service.replace(/-/g, '_')}`;
      const database = `twincontour_${service.replace(/-/g, '_')}`;
      const roleExists = await pool.query('select 1 from pg_roles where rolname = $1', [role]);
      if (roleExists.rowCount === 0) await pool.query(`create role ${role} login`);
      const dbExists = await pool.query('select 1 from pg_database where datname = $1', [database]);
      if (dbExists.rowCount === 0) await pool.query(`create database ${database} owner ${role}`);
      // Nobody but the owner connects: the other contours' roles cannot reach this database.
      await pool.query(`revoke all on database ${database} from public`);
      const admin = new URL(adminUrl);
      urls[service] = `postgres://${role}@${admin.hostname}:${admin.port || '5432'}/${database}`;
    }
  } finally {
    await pool.end();
  }
  return urls;
}

/** Everything one service needs to start locally. */
export interface DevServiceOptions {
  service: DevServiceName;
  port: number;
  databaseUrl: string;
  identities: string;
  pkiDir: string;
  redisUrl: string;
  queuePrefix: string;
  extra?: Record<string, string>;
}

/** The environment of one locally started service (the names each service's config.ts reads). */
export function serviceEnv(options: DevServiceOptions): Record<string, string> {
  const env: Record<string, string> = {
    TWINCONTOUR_HTTP_HOST: '127.0.0.1',
    TWINCONTOUR_HTTP_PORT: String(options.port),
    TWINCONTOUR_DATABASE_URL: options.databaseUrl,
    TWINCONTOUR_IDENTITIES: options.identities,
    TWINCONTOUR_PKI_DIR: options.pkiDir,
    TWINCONTOUR_F2C_REDIS_URL: options.redisUrl,
    TWINCONTOUR_QUEUE_PREFIX: options.queuePrefix,
  };
  if (options.service === 'control' || options.service === 'transport')
    env.TWINCONTOUR_C2T_REDIS_URL = options.redisUrl;
  // 802-П п. 19.3: with development keys a development authorised person exists (the PKI's authorised-person
  // identity, registered by transport at start and signing on the server), so `twincontour incident` works.
  if (options.service === 'transport') env.TWINCONTOUR_DEV_AUTHORISED_PERSON = options.pkiDir;
  // Each boundary's Redis is its own: transport never gets the formation↔control one, the simulator neither.
  if (options.service === 'transport' || options.service === 'cbr-simulator') delete env.TWINCONTOUR_F2C_REDIS_URL;
  if (options.service === 'cbr-simulator') delete env.TWINCONTOUR_QUEUE_PREFIX;
  return { ...env, ...options.extra };
}
