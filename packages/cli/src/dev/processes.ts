import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';

/** The repository root (this file is packages/cli/src/dev/processes.ts). */
export const REPO_ROOT = resolve(import.meta.dirname, '../../../..');

/** A service running as its own process. */
export interface ServiceProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** What the process printed (kept for test diagnostics; the last 200 KB). */
  output(): string;
  /** SIGTERM, then wait for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Starts `services/<name>/src/main.ts` as a separate process (each contour is its own process and, in
 * deployment, its own network segment), and waits until its /ready answers 200.
 */
export async function spawnService(
  name: string,
  env: Record<string, string>,
  options: { readyTimeoutMs?: number; inheritOutput?: boolean } = {},
): Promise<ServiceProcess> {
  const port = env.TWINCONTOUR_HTTP_PORT;
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'services', name, 'src', 'main.ts')], {
    cwd: join(REPO_ROOT, 'services', name),
    env: { ...process.env, ...env },
    stdio: options.inheritOutput ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const handle: ServiceProcess = {
    name,
    url,
    child,
    output: () => log,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const [code] = (await once(child, 'exit')) as [number | null];
      clearTimeout(timer);
      return code;
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before it was ready:\n${log}`);
    try {
      const response = await fetch(`${url}/ready`);
      if (response.status === 200) return handle;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await handle.stop(2000);
  throw new Error(`${name} was not ready at ${url} within the time allowed:\n${log}`);
}
