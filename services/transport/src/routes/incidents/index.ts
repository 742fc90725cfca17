import { createCollectedGauge, EXCHANGE_STATES, type Role } from '@twincontour/platform';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { TRANSPORT_CODES, transportError } from '../../errors.js';
import type { IncidentService, PersonInput } from '../../workers/incident-service.js';
import {
  ADD_PERSON_SCHEMA,
  CHANGE_PERSON_SCHEMA,
  DRAFT_SCHEMA,
  INCIDENT_SCHEMA,
  LIST_PERSONS_SCHEMA,
  PDF_SCHEMA,
  REMOVE_PERSON_SCHEMA,
  RESUME_SCHEMA,
  STATUS_SCHEMA,
  SUSPEND_SCHEMA,
} from './schemas.js';

/** Who may suspend and resume: operations staff (issue 7). */
const OPERATORS: readonly Role[] = ['ops'];
/** Who may read incidents and manage the registry of authorised persons. */
const OFFICERS: readonly Role[] = ['ops', 'security-officer'];

function actor(request: FastifyRequest): string {
  const identity = request.identity;
  // The platform authenticates every route with roles before the handler runs.
  if (!identity) throw new Error('an authenticated route ran without an identity');
  return identity.id;
}

/** A service failure as the HTTP error of its catalog code. */
function refuse(failure: { code: string; message: string }): never {
  if (!(failure.code in TRANSPORT_CODES)) throw new Error(`${failure.code}: ${failure.message}`);
  throw transportError(failure.code as keyof typeof TRANSPORT_CODES, failure.message);
}

type PresignedBody = { documentBase64?: string; signatureBase64?: string };

/**
 * The incident API (802-П п. 19–19.5): suspend, resume, the state and history, the reserve copies, and the
 * registry of authorised persons (п. 19.3). Also registers the incident metrics: requests by kind and
 * result, requests awaiting re-send through the main channel, and the exchange state.
 */
export const incidentRoutes: FastifyPluginAsync<{ incidents: IncidentService }> = async (app, options) => {
  const { incidents } = options;
  const registry = app.metricsRegistry;
  for (const metric of incidents.metrics.all) registry.registerMetric(metric);
  createCollectedGauge(registry, {
    name: 'transport_incident_requests_awaiting_resend',
    help: 'Incident requests the main channel did not take, to be sent again through it (802-П п. 19.1).',
    labelNames: [],
    read: async () => [{ labels: {}, value: await incidents.awaitingResend() }],
  });
  createCollectedGauge(registry, {
    name: 'transport_exchange_state',
    help: 'The exchange with the Bank of Russia: 1 for the current state (running, suspending, suspended, resuming).',
    labelNames: ['state'],
    read: async () => {
      const now = (await incidents.exchangeState()).state;
      return EXCHANGE_STATES.map((state) => ({ labels: { state }, value: state === now ? 1 : 0 }));
    },
  });

  app.post<{ Body: { reason?: string; personId: string } & PresignedBody }>(
    '/v1/incidents/suspend',
    { config: { roles: OPERATORS }, schema: SUSPEND_SCHEMA },
    async (request, reply) => {
      const result = await incidents.suspend(request.body, actor(request));
      if (!result.ok) refuse(result);
      void reply.code(result.value.cbrSuspendedAt ? 200 : 202);
      return result.value;
    },
  );

  app.post<{ Body: { personId?: string } & PresignedBody }>(
    '/v1/incidents/resume',
    { config: { roles: OPERATORS }, schema: RESUME_SCHEMA },
    async (request, reply) => {
      const result = await incidents.resume(request.body, actor(request));
      if (!result.ok) refuse(result);
      void reply.code(result.value.state === 'resumed' ? 200 : 202);
      return result.value;
    },
  );

  app.post<{ Body: { kind: 'suspend' | 'resume'; personId: string; reason?: string } }>(
    '/v1/incidents/requests/draft',
    { config: { roles: OPERATORS }, schema: DRAFT_SCHEMA },
    async (request) => {
      const result = await incidents.draft(request.body.kind, request.body.personId, request.body.reason);
      if (!result.ok) refuse(result);
      return result.value;
    },
  );

  app.get('/v1/incidents', { config: { roles: OFFICERS }, schema: STATUS_SCHEMA }, async () => incidents.status());

  app.get<{ Params: { id: string } }>(
    '/v1/incidents/:id',
    { config: { roles: OFFICERS }, schema: INCIDENT_SCHEMA },
    async (request) => {
      const view = await incidents.incident(request.params.id);
      if (!view) throw transportError('INC_NOT_FOUND');
      return view;
    },
  );

  app.get<{ Params: { id: string; requestId: string } }>(
    '/v1/incidents/:id/requests/:requestId/pdf',
    { config: { roles: OFFICERS }, schema: PDF_SCHEMA },
    async (request, reply) => {
      const copy = await incidents.reserveCopy(request.params.id, request.params.requestId);
      if (!copy) throw transportError('INC_NOT_FOUND', 'no reserve copy of this request');
      void reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="incident-request-${request.params.requestId}.pdf"`)
        .header('x-content-sha256', copy.sha256);
      return Buffer.from(copy.pdf);
    },
  );

  app.get<{ Querystring: { all?: boolean } }>(
    '/v1/incidents/persons',
    { config: { roles: OFFICERS }, schema: LIST_PERSONS_SCHEMA },
    async (request) => ({ items: await incidents.persons(request.query.all === true) }),
  );

  app.post<{ Body: PersonInput & { id: string } }>(
    '/v1/incidents/persons',
    { config: { roles: OFFICERS }, schema: ADD_PERSON_SCHEMA },
    async (request, reply) => {
      const { id, ...input } = request.body;
      const result = await incidents.addPerson(id, input, actor(request));
      if (!result.ok) refuse(result);
      void reply.code(201);
      return result.value;
    },
  );

  app.put<{ Params: { id: string }; Body: PersonInput }>(
    '/v1/incidents/persons/:id',
    { config: { roles: OFFICERS }, schema: CHANGE_PERSON_SCHEMA },
    async (request) => {
      const result = await incidents.changePerson(request.params.id, request.body, actor(request));
      if (!result.ok) refuse(result);
      return result.value;
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/incidents/persons/:id',
    { config: { roles: OFFICERS }, schema: REMOVE_PERSON_SCHEMA },
    async (request) => {
      const result = await incidents.removePerson(request.params.id, actor(request));
      if (!result.ok) refuse(result);
      return result.value;
    },
  );
};
