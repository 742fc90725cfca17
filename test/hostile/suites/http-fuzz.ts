// Every route of every service, in process (app.inject), fed the hostile corpora of support/inputs.ts:
// no crash, no 5xx, every refusal a catalogued 4xx with the catalog's status, and nothing written by a
// refused input. The routes come from the app's own route table, so a route added later is fuzzed too.
import { afterAll, describe, expect, it } from 'vitest';
import { judge } from '../support/judge.js';
import { type HostileRequest, hostileRequests, isWrite } from '../support/routes.js';
import { as, rowCounts, SERVICE_NAMES, type ServiceName, type Stack } from '../support/stack.js';
import type { Tally } from '../support/tally.js';

/** Random draws per route and corpus (the fixed cases come on top). */
const INTENSITY = Number(process.env.HOSTILE_INTENSITY ?? 10);
const PLATFORM_ROUTES: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics', '/openapi.json']);

/** HOSTILE_PROFILE=1 prints the 25 costliest (route, kind, status) groups: where the suite's time goes. */
const profile = new Map<string, number>();

/**
 * Which row changes an accepted write explains. A refused input explains none, so with no accepted write
 * every table must keep its count; an accepted order must have written all of its rows (one order, one
 * key, one outbox row, three stages), never part of them.
 */
function explainedDeltas(
  service: ServiceName,
  accepted: ReadonlyMap<string, number>,
): { expected: Record<string, number>; loose: Set<string> } {
  const orders = accepted.get('POST /v1/payment-orders') ?? 0;
  const hooks = accepted.get('POST /v1/webhooks') ?? 0;
  const unhooked = accepted.get('DELETE /v1/webhooks/:id') ?? 0;
  const sources = accepted.get('POST /v1/source-documents') ?? 0;
  const loose = new Set<string>();
  if (service === 'formation') {
    if (orders > 0) loose.add('ed_counters'); // one counter row per operating date, made by the first order
    if (hooks > 0) loose.add('webhook_deliveries');
    return {
      expected: {
        orders,
        idempotency_keys: orders,
        outbox: orders,
        order_stages: 3 * orders,
        webhook_subscriptions: hooks - unhooked,
      },
      loose,
    };
  }
  if (service === 'control') return { expected: { source_documents: sources }, loose };
  return { expected: {}, loose };
}

/** The route fuzz, over the stack `current()` returns (built by the test file). */
export function httpFuzz(current: () => Stack, tally: Tally): void {
  afterAll(() => {
    if (process.env.HOSTILE_PROFILE) {
      for (const [k, ms] of [...profile].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(Math.round(ms), k);
    }
  });

  describe.each(SERVICE_NAMES)('%s', (name) => {
    it('answers every hostile input on every route with a catalogued 4xx (or accepts it whole), never a 5xx', async () => {
      const stack = current();
      const service = stack.services[name];
      const { app, catalog } = service;
      const before = await rowCounts(service.pool);
      const accepted = new Map<string, number>();
      const problems: string[] = [];
      const routes = app.routeTable.filter((r) => r.method !== 'HEAD' || !r.url.startsWith('/metrics'));
      expect(routes.length).toBeGreaterThan(4);

      for (const [index, route] of routes.entries()) {
        const auth = route.public ? {} : as(name, route.roles[0] ?? 'ops');
        // /health, /ready, /metrics and /openapi.json are the platform's, the same code in every service:
        // fuzzed in full once (formation), with the fixed cases only elsewhere.
        const platformRoute = PLATFORM_ROUTES.has(route.url);
        const requests: HostileRequest[] = hostileRequests(route, auth, {
          bodyLimit: 256 * 1024,
          intensity: platformRoute && name !== 'formation' ? 0 : INTENSITY,
          salt: index * 100,
        });
        for (const request of requests) {
          const started = performance.now();
          tally.count(request.kind);
          const what = `${name} ${request.method} ${request.url.slice(0, 120)} [${request.kind}]`;
          let answer: Awaited<ReturnType<typeof app.inject>>;
          try {
            answer = await app.inject({
              method: request.method as 'GET',
              url: request.url,
              headers: request.headers,
              ...(request.payload === undefined ? {} : { payload: request.payload }),
            });
          } catch (error) {
            tally.crashes += 1;
            problems.push(`${what}: inject threw ${String(error)}`);
            continue;
          }
          problems.push(
            ...judge(
              tally,
              catalog,
              what,
              { statusCode: answer.statusCode, body: answer.body },
              {
                head: request.method === 'HEAD',
              },
            ),
          );
          if (process.env.HOSTILE_PROFILE) {
            const key = `${name} ${route.method} ${route.url} ${request.kind} ${answer.statusCode}`;
            profile.set(key, (profile.get(key) ?? 0) + performance.now() - started);
          }
          const replayed = answer.headers['idempotent-replayed'] === 'true';
          if (isWrite(request.method) && answer.statusCode < 300 && !replayed) {
            const key = `${route.method} ${route.url}`;
            accepted.set(key, (accepted.get(key) ?? 0) + 1);
          }
        }
      }

      // Still alive and healthy after all of it.
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(200);

      // Nothing half-written: only accepted writes changed rows, and exactly the rows they own.
      const after = await rowCounts(service.pool);
      const { expected, loose } = explainedDeltas(name, accepted);
      for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
        if (loose.has(table)) continue;
        const delta = (after[table] ?? 0) - (before[table] ?? 0);
        const want = expected[table] ?? 0;
        if (delta !== want)
          problems.push(`${name}: table ${table} changed by ${delta}, accepted writes explain ${want}`);
      }
      tally.problems.push(...problems.filter((p) => p.includes('changed by')));
      expect(problems).toEqual([]);
    });
  });

  describe('the services’ logs', () => {
    it('hold no error line: no hostile input reached a fault answered as a refusal', () => {
      expect(current().errorLines.map((l) => l.slice(0, 400))).toEqual([]);
    });
  });
}
