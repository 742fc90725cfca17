import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const fixture = join(import.meta.dirname, 'fixtures', 'graceful-service.ts');

interface Started {
  child: ChildProcess;
  address: string;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** Starts the fixture service in its own process and waits for its "listening" line. */
function start(env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout?.on('data', (chunk) => {
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = JSON.parse(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        if (line.msg === 'listening') resolve({ child, address: line.address, lines, exited });
        newline = buffer.indexOf('\n');
      }
    });
    void exited.then((code) => reject(new Error(`fixture exited with ${code} before listening: ${stderr}`)));
  });
}

describe('runService', () => {
  it('on SIGTERM finishes the request in flight, closes each step in order, and exits 0', async () => {
    const service = await start();
    const inFlight = fetch(`${service.address}/slow`);
    // Signal only once the service has the request in hand.
    for (let i = 0; i < 200 && !service.lines.some((l) => l.msg === 'incoming request'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    service.child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    expect(await service.exited).toBe(0);
    await expect(fetch(`${service.address}/slow`)).rejects.toThrow();
    const messages = service.lines.map((l) => (l.step ? `${l.msg}:${l.step}` : l.msg));
    const after = messages.slice(messages.indexOf('shutting down'));
    // The request in flight completed after the signal and before anything was closed.
    expect(after.indexOf('request completed')).toBeGreaterThan(0);
    expect(after.indexOf('request completed')).toBeLessThan(after.indexOf('closed:worker'));
    expect(after.filter((m) => m !== 'request completed')).toEqual([
      'shutting down',
      'closed:worker',
      'closed:relay',
      'closed:pool',
      'stopped',
    ]);
  }, 20_000);

  it('still runs the later steps when one fails, and exits 1', async () => {
    const service = await start({ FAIL_STEP: '1' });
    service.child.kill('SIGINT');
    expect(await service.exited).toBe(1);
    const steps = service.lines.filter((l) => l.step).map((l) => `${l.msg}:${l.step}`);
    expect(steps).toEqual(['close step failed:worker', 'closed:relay', 'closed:pool']);
  }, 20_000);
});
