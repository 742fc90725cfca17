import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { devInit } from '@twincontour/crypto';
import {
  adminDatabaseUrl,
  DEV_SERVICES,
  type DevServiceName,
  devIdentities,
  ensureDevCredentials,
  ensureDevDatabases,
  ensureDevKeyFile,
  serviceEnv,
} from './environment.js';
import { REPO_ROOT, type ServiceProcess, spawnService } from './processes.js';

/** Where development state lives: keys, credentials (git ignores `.dev/`). */
export const DEV_DIR = process.env.TWINCONTOUR_DEV_DIR ?? join(REPO_ROOT, '.dev');

/** Development settings beyond the common ones. */
function devExtras(service: DevServiceName): Record<string, string> {
  switch (service) {
    case 'control':
      // A primary document withheld in the demo is given up on after 20 s rather than the default minute.
      return { TWINCONTOUR_SOURCE_WAIT_MS: '20000' };
    case 'formation':
      return { TWINCONTOUR_WEBHOOK_KEY_FILE: ensureDevKeyFile(join(DEV_DIR, 'webhook.key')) };
    case 'cbr-simulator':
      return { TWINCONTOUR_SIM_STORE_DIR: join(DEV_DIR, 'cbr-received'), TWINCONTOUR_SIM_HOST: '127.0.0.1' };
    default:
      return {};
  }
}

/**
 * `npm start`: the whole gateway on this machine, with development keys (`pki dev-init`, made on first
 * start), development credentials for every role (made on first start, `.dev/credentials.json`), each
 * contour's own database and role, and each service as its own process. Prints where each listens.
 * Returns when a service exits or the process is told to stop; then it stops them all gracefully.
 */
export async function startGateway(
  log: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  const pkiDir = process.env.TWINCONTOUR_PKI_DIR ?? join(DEV_DIR, 'pki');
  const pki = await devInit(pkiDir);
  if (!pki.ok) {
    log(`[start] development PKI: ${pki.code} ${pki.message}`);
    return 1;
  }
  log(`[start] development PKI ${pki.value.created ? 'made' : 'found'} in ${pkiDir}`);
  const credentialsFile = join(DEV_DIR, 'credentials.json');
  const credentials = ensureDevCredentials(credentialsFile);
  const built = DEV_SERVICES.filter((s) => existsSync(join(REPO_ROOT, 'services', s.name, 'src', 'main.ts')));
  if (built.length === 0) {
    log('[start] no service is built yet; the command-line tool works: pnpm twincontour help');
    return 0;
  }
  const databases = await ensureDevDatabases(
    adminDatabaseUrl(),
    built.map((s) => s.name),
  );
  const redisUrl =
    process.env.TWINCONTOUR_REDIS_URL ??
    `redis://${process.env.REDIS_HOST ?? '127.0.0.1'}:${process.env.REDIS_PORT ?? 6379}`;

  const running: ServiceProcess[] = [];
  const stopAll = async () => {
    await Promise.all(running.map((s) => s.stop()));
  };
  try {
    for (const service of built) {
      const env = serviceEnv({
        service: service.name as DevServiceName,
        port: Number(process.env[`TWINCONTOUR_${service.name.toUpperCase()}_PORT`] ?? service.port),
        databaseUrl: databases[service.name]!,
        identities: devIdentities(credentials),
        pkiDir,
        redisUrl,
        queuePrefix: 'tc',
        extra: devExtras(service.name),
      });
      running.push(await spawnService(service.name, env, { inheritOutput: true }));
    }
  } catch (error) {
    log(`[start] ${error instanceof Error ? error.message : String(error)}`);
    await stopAll();
    return 1;
  }
  log('');
  log('TwinContour is running:');
  for (const s of running) log(`  ${s.name.padEnd(10)} ${s.url}   (OpenAPI: ${s.url}/openapi.json)`);
  log(`  development API keys: ${credentialsFile} (per contour, per role)`);
  log('  try: pnpm twincontour demo --scenario happy');
  log('  stop: Ctrl-C');

  return await new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (code: number) => {
      if (stopping) return;
      stopping = true;
      void stopAll().then(() => resolveExit(code));
    };
    process.once('SIGINT', () => stop(0));
    process.once('SIGTERM', () => stop(0));
    for (const s of running) {
      s.child.once('exit', (code, signal) => {
        if (!stopping) log(`[start] ${s.name} exited (${signal ?? code}); stopping the gateway`);
        stop(1);
      });
    }
  });
}
