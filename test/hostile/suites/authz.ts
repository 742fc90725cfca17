// The authorization table (issue 8): every route of every service with the roles it allows. The routes
// are enumerated from each app's own route table (platform `app.routeTable`, filled by an onRoute hook),
// so a route added later that is missing here fails the test by name. For each route: no credential →
// 401 AUTH_REQUIRED, an unknown key → 401 AUTH_INVALID, every role not allowed → 403 AUTH_FORBIDDEN,
// an allowed role of another contour → 403 AUTH_WRONG_CONTOUR (802-П прил. 1.1), every allowed role →
// neither 401 nor 403. HEAD twins of GET routes are checked with the GET's roles.
import { type DeclaredRoute, ROLES, type Role } from '@twincontour/platform';
import { describe, expect, it } from 'vitest';
import { as, SERVICE_NAMES, SERVICES, type ServiceName, type Stack } from '../support/stack.js';

type Access = 'public' | readonly Role[];

const PLATFORM: Record<string, Access> = {
  'GET /health': 'public',
  'GET /ready': 'public',
  'GET /openapi.json': 'public',
  'GET /metrics': ['ops', 'service'],
};
/** The audit log's routes (packages/audit registerAuditRoutes): security officers only (DESIGN.md, Audit log). */
const AUDIT: Record<string, Access> = {
  'GET /v1/audit/events': ['security-officer'],
  'GET /v1/audit/export': ['security-officer'],
  'POST /v1/audit/verify': ['security-officer'],
};
const ORDER_READERS: Access = ['backoffice', 'formation-operator', 'security-officer'];
const INCIDENT_READERS: Access = ['ops', 'security-officer'];

/** THE TABLE. A new route goes here with its roles, or this test fails naming it. */
export const AUTHZ_TABLE: Record<ServiceName, Record<string, Access>> = {
  formation: {
    ...PLATFORM,
    'POST /v1/payment-orders': ['backoffice'],
    'GET /v1/payment-orders': ORDER_READERS,
    'GET /v1/payment-orders/:id': ORDER_READERS,
    'POST /v1/webhooks': ['backoffice'],
    'GET /v1/webhooks': ['backoffice'],
    'DELETE /v1/webhooks/:id': ['backoffice'],
    ...AUDIT,
  },
  control: {
    ...PLATFORM,
    // 802-П прил. 1.4: the primary document reaches control from the back office on its own path.
    'POST /v1/source-documents': ['backoffice'],
    'GET /v1/source-documents/:id': ['control-operator', 'security-officer'],
    'GET /v1/controls/:orderId': ['control-operator', 'security-officer'],
    ...AUDIT,
  },
  transport: {
    ...PLATFORM,
    'GET /v1/messages/:orderId': ['ops', 'security-officer'],
    // 802-П п. 11: the archive is read by ops; single entries and re-verification by security officers.
    'GET /v1/archive': ['ops', 'security-officer'],
    'GET /v1/archive/:id': ['security-officer'],
    'POST /v1/archive/:id/verify': ['security-officer'],
    // 802-П п. 19: suspension and resumption are asked by ops; the registry of authorised persons is kept by
    // ops and security officers.
    'POST /v1/incidents/suspend': ['ops'],
    'POST /v1/incidents/resume': ['ops'],
    'POST /v1/incidents/requests/draft': ['ops'],
    'GET /v1/incidents': INCIDENT_READERS,
    'GET /v1/incidents/:id': INCIDENT_READERS,
    'GET /v1/incidents/:id/requests/:requestId/pdf': INCIDENT_READERS,
    'GET /v1/incidents/persons': INCIDENT_READERS,
    'POST /v1/incidents/persons': INCIDENT_READERS,
    'PUT /v1/incidents/persons/:id': INCIDENT_READERS,
    'DELETE /v1/incidents/persons/:id': INCIDENT_READERS,
    ...AUDIT,
  },
  'cbr-simulator': {
    ...PLATFORM,
    'GET /v1/received': ['ops'],
    'GET /v1/received/count': ['ops'],
  },
};

const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

/** The table's entry for a declared route; a HEAD twin takes its GET's. */
function expectedAccess(service: ServiceName, route: DeclaredRoute): Access | undefined {
  const table = AUTHZ_TABLE[service];
  return table[key(route)] ?? (route.method === 'HEAD' ? table[`GET ${route.url}`] : undefined);
}

/** A contour other than the service's, whose identities the service must refuse. */
function foreignService(service: ServiceName): ServiceName {
  return service === 'formation' ? 'control' : 'formation';
}

/** The authorization table's tests, over the stack `current()` returns. */
export function authorizationTable(current: () => Stack): void {
  describe.each(SERVICE_NAMES)('%s', (name) => {
    it('the table lists every route of the app (and no route the app lacks), with the roles the route declares', () => {
      const routes = current().services[name].app.routeTable;
      const declared = new Set(routes.map(key));
      const missing = routes.filter((r) => expectedAccess(name, r) === undefined).map(key);
      const stale = Object.keys(AUTHZ_TABLE[name]).filter((k) => !declared.has(k));
      expect({ missingFromTable: missing, notInApp: stale }).toEqual({ missingFromTable: [], notInApp: [] });
      for (const route of routes) {
        const access = expectedAccess(name, route);
        const actual: Access = route.public ? 'public' : [...route.roles].sort();
        expect(actual, key(route)).toEqual(access === 'public' ? 'public' : [...(access ?? [])].sort());
      }
    });

    it('refuses no credential (401), an unknown key (401), every other role (403) and other contours (403); lets each allowed role through', async () => {
      const { app } = current().services[name];
      const problems: string[] = [];
      for (const route of app.routeTable) {
        const access = expectedAccess(name, route);
        if (access === undefined) continue; // reported by the test above
        const url = route.url.replace(/:[A-Za-z0-9_]+/g, '00000000-0000-4000-8000-000000000000');
        const body = ['POST', 'PUT', 'PATCH'].includes(route.method);
        const call = async (headers: Record<string, string>) => {
          const answer = await app.inject({
            method: route.method as 'GET',
            url,
            headers: {
              ...headers,
              'idempotency-key': 'authz-table',
              ...(body ? { 'content-type': 'application/json' } : {}),
            },
            ...(body ? { payload: '{}' } : {}),
          });
          let code: string | undefined;
          try {
            code = (JSON.parse(answer.body) as { code?: string }).code;
          } catch {
            // HEAD, /metrics (Prometheus text), a PDF: no error body.
          }
          return { status: answer.statusCode, code };
        };
        const expectAnswer = async (who: string, headers: Record<string, string>, status: number, code: string) => {
          const got = await call(headers);
          const headOk = route.method === 'HEAD' && got.status === status;
          if (!headOk && (got.status !== status || got.code !== code)) {
            problems.push(`${key(route)} as ${who}: ${got.status} ${got.code}, expected ${status} ${code}`);
          }
        };
        const expectThrough = async (who: string, headers: Record<string, string>) => {
          const got = await call(headers);
          if (got.status === 401 || got.status === 403) {
            problems.push(`${key(route)} as ${who}: ${got.status} ${got.code}, expected to pass authorization`);
          }
        };

        if (access === 'public') {
          await expectThrough('nobody', {});
          continue;
        }
        await expectAnswer('nobody', {}, 401, 'AUTH_REQUIRED');
        await expectAnswer('an unknown key', { authorization: 'ApiKey tck_not_a_registered_key' }, 401, 'AUTH_INVALID');
        for (const role of ROLES) {
          if (access.includes(role)) await expectThrough(role, as(name, role));
          else await expectAnswer(role, as(name, role), 403, 'AUTH_FORBIDDEN');
        }
        const foreign = foreignService(name);
        for (const role of access) {
          await expectAnswer(`${role} of ${SERVICES[foreign]}`, as(foreign, role), 403, 'AUTH_WRONG_CONTOUR');
        }
      }
      expect(problems).toEqual([]);
    });
  });
}
