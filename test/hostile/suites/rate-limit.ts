// Rate limits on the back-office and operator routes (issue 8): every service built as main.ts builds it
// (`rateLimit: serviceRateLimit(config)`), with a small budget. Every authenticated route of every service
// counts against the caller's budget (the limit is applied centrally, so routes added later are covered);
// the (N+1)-th request of a window is 429 PLT_RATE_LIMITED with Retry-After; another identity is unaffected;
// public routes are never limited.
import { serviceRateLimit } from '@twincontour/platform';
import { describe, expect, it } from 'vitest';
import { type App, as, SERVICE_NAMES, type ServiceName, type Stack } from '../support/stack.js';

const PEOPLE = 3;
const MACHINES = 5;
const LIMITS = serviceRateLimit({
  TWINCONTOUR_RATE_LIMIT_MAX: PEOPLE,
  TWINCONTOUR_RATE_LIMIT_MACHINE_MAX: MACHINES,
  TWINCONTOUR_RATE_LIMIT_WINDOW_MS: 60_000,
});

/** A route each service's people use, and (where there is one) one the back office uses. */
const PROBES: Record<ServiceName, { person: [string, string, 'ops' | 'formation-operator' | 'control-operator'] }> = {
  formation: { person: ['GET', '/v1/payment-orders', 'formation-operator'] },
  control: { person: ['GET', '/v1/controls/x-1', 'control-operator'] },
  transport: { person: ['GET', '/v1/messages/x-1', 'ops'] },
  'cbr-simulator': { person: ['GET', '/v1/received', 'ops'] },
};

/** The rate-limit tests, over the stack `current()` returns. */
export function rateLimits(current: () => Stack): void {
  describe.each(SERVICE_NAMES)('%s', (name) => {
    it('counts every authenticated route against the caller (x-ratelimit-limit), never a public one', async () => {
      const app: App = await current().services[name].build({ rateLimit: LIMITS });
      const missing: string[] = [];
      for (const route of app.routeTable) {
        const url = route.url.replace(/:[A-Za-z0-9_]+/g, 'x-1');
        // A fresh identity per route would be needed to stay under the budget; the header shows the route is
        // limited whatever the answer, so one call per route and role is enough (and 429 still carries it).
        const role = route.public ? undefined : route.roles[0];
        const answer = await app.inject({
          method: route.method as 'GET',
          url,
          headers: { ...(role ? as(name, role) : {}), 'content-type': 'application/json', 'idempotency-key': 'rl' },
          ...(['POST', 'PUT', 'PATCH'].includes(route.method) ? { payload: '{}' } : {}),
        });
        const limited = answer.headers['x-ratelimit-limit'] !== undefined || answer.statusCode === 429;
        if (limited === route.public)
          missing.push(`${route.method} ${route.url}: ${route.public ? 'limited' : 'not limited'}`);
      }
      expect(missing).toEqual([]);
    });

    it('answers the (N+1)-th request of a person 429 PLT_RATE_LIMITED with Retry-After; another identity is unaffected', async () => {
      const app = await current().services[name].build({ rateLimit: LIMITS });
      const [method, url, role] = PROBES[name].person;
      const call = (headers: Record<string, string>) => app.inject({ method: method as 'GET', url, headers });
      for (let i = 0; i < PEOPLE; i++) expect((await call(as(name, role))).statusCode).not.toBe(429);
      const limited = await call(as(name, role));
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ statusCode: 429, code: 'PLT_RATE_LIMITED' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Another identity with the same role has a budget of its own.
      expect((await call(as(name, role, true))).statusCode).not.toBe(429);
      for (let i = 0; i < 10; i++) expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    });
  });

  it('gives the back office its machine budget: formation POST /v1/payment-orders and control POST /v1/source-documents', async () => {
    for (const [name, url] of [
      ['formation', '/v1/payment-orders'],
      ['control', '/v1/source-documents'],
    ] as const) {
      const app = await current().services[name].build({ rateLimit: LIMITS });
      const post = () =>
        app.inject({
          method: 'POST',
          url,
          headers: { ...as(name, 'backoffice'), 'idempotency-key': 'rl-machine' },
          payload: {},
        });
      for (let i = 0; i < MACHINES; i++) expect((await post()).statusCode).not.toBe(429);
      const limited = await post();
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe('PLT_RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
  });
}
