import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@twincontour/cli';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// 802-П прил. 1.2: the deployment must allow exactly the flows docs/segments.md documents.

interface Flow {
  from: string;
  to: string;
  network: string;
}

interface Compose {
  services: Record<string, { networks?: string[] | Record<string, unknown>; command?: string[] }>;
  networks: Record<string, { internal?: boolean } | null>;
}

const EXTERNAL = new Set(['back-office', 'operations']);

function documentedFlows(): Flow[] {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'segments.md'), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- flows:begin -->'), doc.indexOf('<!-- flows:end -->'));
  return table
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| from') && !line.startsWith('|---'))
    .map((line) => {
      const [from, to, network] = line
        .split('|')
        .slice(1, 4)
        .map((c) => c.trim());
      return { from: from!, to: to!.split(':')[0]!, network: network! };
    });
}

function compose(): Compose {
  return parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
}

function networksOf(c: Compose, service: string): Set<string> {
  const n = c.services[service]?.networks ?? [];
  return new Set(Array.isArray(n) ? n : Object.keys(n));
}

describe('docker-compose.yml against docs/segments.md', () => {
  const flows = documentedFlows();
  const c = compose();

  it('reads a non-trivial list of flows', () => {
    expect(flows.length).toBeGreaterThanOrEqual(10);
  });

  it('gives every documented flow a network both ends are on', () => {
    for (const flow of flows) {
      expect(c.networks[flow.network], `network ${flow.network}`).not.toBeUndefined();
      for (const end of [flow.from, flow.to]) {
        if (EXTERNAL.has(end)) continue;
        expect(networksOf(c, end).has(flow.network), `${end} on ${flow.network}`).toBe(true);
      }
    }
  });

  it('puts no service on a network that no documented flow of its needs', () => {
    for (const service of Object.keys(c.services)) {
      for (const network of networksOf(c, service)) {
        const used = flows.some((f) => f.network === network && (f.from === service || f.to === service));
        expect(used, `${service} on ${network} is not a documented flow`).toBe(true);
      }
    }
  });

  it('lets two services talk only where a documented flow joins them', () => {
    const services = Object.keys(c.services);
    for (const a of services) {
      for (const b of services) {
        if (a >= b) continue;
        const shared = [...networksOf(c, a)].filter((n) => networksOf(c, b).has(n));
        if (shared.length === 0) continue;
        const documented = flows.some((f) => (f.from === a && f.to === b) || (f.from === b && f.to === a));
        // Two clients of one boundary Redis share its network; that is the documented hand-over itself.
        const viaBoundary = shared.every((n) =>
          flows.filter((f) => f.network === n).every((f) => f.to.startsWith('redis-')),
        );
        expect(documented || viaBoundary, `${a} and ${b} share ${shared.join(', ')}`).toBe(true);
      }
    }
  });

  it('keeps formation and transport apart, each Redis between its two contours, each database with its service', () => {
    const formation = networksOf(c, 'formation');
    expect([...networksOf(c, 'transport')].filter((n) => formation.has(n))).toEqual([]);
    const reach = (target: string) =>
      Object.keys(c.services)
        .filter((s) => s !== target && [...networksOf(c, target)].some((n) => networksOf(c, s).has(n)))
        .sort();
    expect(reach('redis-f2c')).toEqual(['control', 'formation']);
    expect(reach('redis-c2t')).toEqual(['control', 'transport']);
    expect(reach('pg-formation')).toEqual(['formation']);
    expect(reach('pg-control')).toEqual(['control']);
    expect(reach('pg-transport')).toEqual(['transport']);
    expect(reach('pg-cbr')).toEqual(['cbr-simulator']);
  });

  it('makes every segment and boundary network internal, and the queue Redis durable and non-evicting', () => {
    for (const [name, network] of Object.entries(c.networks)) {
      if (/^(seg|bnd)-|^cbr-link$/.test(name)) expect(network?.internal, name).toBe(true);
    }
    for (const redis of ['redis-f2c', 'redis-c2t']) {
      const command = c.services[redis]!.command!.join(' ');
      expect(command).toContain('--appendonly yes');
      expect(command).toContain('--maxmemory-policy noeviction');
    }
  });

  it('is a valid compose file for docker-compose', () => {
    const result = spawnSync('docker-compose', ['-f', join(REPO_ROOT, 'docker-compose.yml'), 'config', '--quiet'], {
      encoding: 'utf8',
    });
    expect(result.error, 'docker-compose (Debian package docker-compose) is needed').toBeUndefined();
    expect(result.status, result.stderr).toBe(0);
  });
});
