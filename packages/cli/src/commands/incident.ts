import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Options } from '../command.js';
import type { DevCredentials } from '../dev/environment.js';
import { REPO_ROOT } from '../dev/processes.js';
import { CliError, EXIT_INVALID, EXIT_OK, type Io, onePositional, printJson, userPath } from '../io.js';

// `twincontour incident …`: the operator's side of incident suspension (802-П п. 19–19.5), over transport's
// incident API. docs/incidents.md is the procedure.

/** Where transport answers and with which key: flags, then TWINCONTOUR_TRANSPORT_URL / TWINCONTOUR_API_KEY(_FILE), then the development credentials. */
export interface TransportTarget {
  url: string;
  key: string;
}

const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  'transport-url': { type: 'string' },
  credentials: { type: 'string' },
} as const;

/** The transport URL and an `ops` key (see {@link TransportTarget}); never prints the key. */
export function transportTarget(options: Options, io: Io): TransportTarget {
  const url = (
    (options['transport-url'] as string | undefined) ??
    io.env.TWINCONTOUR_TRANSPORT_URL ??
    'http://127.0.0.1:8083'
  ).replace(/\/+$/, '');
  if (io.env.TWINCONTOUR_API_KEY) return { url, key: io.env.TWINCONTOUR_API_KEY };
  if (io.env.TWINCONTOUR_API_KEY_FILE) {
    try {
      return { url, key: readFileSync(userPath(io, io.env.TWINCONTOUR_API_KEY_FILE), 'utf8').trim() };
    } catch {
      throw new CliError(
        'CLI_UNREADABLE_INPUT',
        `cannot read TWINCONTOUR_API_KEY_FILE ${io.env.TWINCONTOUR_API_KEY_FILE}`,
      );
    }
  }
  const file = userPath(
    io,
    (options.credentials as string | undefined) ??
      join(io.env.TWINCONTOUR_DEV_DIR ?? join(REPO_ROOT, '.dev'), 'credentials.json'),
  );
  if (!existsSync(file)) {
    throw new CliError(
      'CLI_NO_DEV_CREDENTIALS',
      `${file} is missing: start the gateway once (npm start), or set TWINCONTOUR_API_KEY (an ops key of transport)`,
    );
  }
  const credentials = JSON.parse(readFileSync(file, 'utf8')) as DevCredentials;
  const ops = credentials.transport?.ops;
  if (!ops) throw new CliError('CLI_NO_DEV_CREDENTIALS', `${file} holds no transport ops credential`);
  return { url, key: ops.key };
}

interface Answer {
  status: number;
  json: Record<string, unknown>;
  bytes: Buffer;
}

async function call(target: TransportTarget, method: string, path: string, body?: unknown): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, {
      method,
      headers: {
        authorization: `ApiKey ${target.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // A suspension waits for the deliveries in flight and for the main channel's first answer.
      signal: AbortSignal.timeout(120_000),
    });
  } catch {
    throw new CliError(
      'CLI_GATEWAY_UNREACHABLE',
      `transport does not answer at ${target.url}: is it running (npm start)?`,
    );
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  let json: Record<string, unknown> = {};
  if (!(response.headers.get('content-type') ?? '').includes('application/pdf')) {
    try {
      json = bytes.length > 0 ? (JSON.parse(bytes.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      json = { raw: bytes.toString('utf8').slice(0, 200) };
    }
  }
  return { status: response.status, json, bytes };
}

/** A refusal by transport: printed with its stable code (JSON with --json), exit 1. */
function refused(io: Io, options: Options, answer: Answer): number {
  const code = String(answer.json.code ?? `HTTP_${answer.status}`);
  const message = String(answer.json.message ?? '');
  if (options.json) printJson(io, { ok: false, status: answer.status, code, message });
  else io.stderr(`twincontour incident: transport refused: ${code} — ${message} (CLI_INCIDENT_REFUSED)\n`);
  return EXIT_INVALID;
}

interface RequestView {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  lastError: string | null;
  resendRequired: boolean;
  reserveCopy: { url: string; sha256: string } | null;
  answer: { decision: string; code: string | null } | null;
}

interface IncidentView {
  id: string;
  state: string;
  reason: string;
  personId: string;
  requestedBy: string;
  suspendedAt: string;
  annulled: number;
  resumedAt: string | null;
  resendRequired: boolean;
  requests: RequestView[];
}

function describeIncident(i: IncidentView): string[] {
  const lines = [
    `incident ${i.id}: ${i.state}`,
    `  reason: ${i.reason}`,
    `  suspended at ${i.suspendedAt} by ${i.requestedBy}, authorised person ${i.personId}; ${i.annulled} message(s) annulled`,
  ];
  if (i.resumedAt) lines.push(`  resumed at ${i.resumedAt}`);
  for (const r of i.requests) {
    const answer = r.answer ? ` (${r.answer.decision}${r.answer.code ? ` ${r.answer.code}` : ''})` : '';
    lines.push(`  request ${r.kind} ${r.id}: ${r.status}${answer}, ${r.attempts} attempt(s)`);
    if (r.resendRequired) {
      lines.push(
        `    the main channel did not take it (${r.lastError ?? 'no answer'}); the gateway re-sends it by itself`,
      );
    }
    if (r.reserveCopy) {
      lines.push(
        `    reserve copy (802-П п. 19.4): twincontour incident pdf ${r.id}${r.resendRequired ? '  ← send it by fax or e-mail now' : ''}`,
      );
    }
  }
  return lines;
}

/** The person to name: --person, else the one active person the server can sign for. */
async function personFor(target: TransportTarget, options: Options): Promise<string> {
  const given = options.person as string | undefined;
  if (given) return given;
  const answer = await call(target, 'GET', '/v1/incidents/persons');
  const items = (answer.json.items ?? []) as { id: string; serverSigning: boolean }[];
  const signing = items.filter((p) => p.serverSigning);
  if (answer.status === 200 && signing.length === 1 && signing[0]) return signing[0].id;
  throw new CliError(
    'CLI_INCIDENT_PERSON_REQUIRED',
    `name the authorised person with --person (registered: ${items.map((p) => p.id).join(', ') || 'none'})`,
  );
}

function printIncident(io: Io, options: Options, incident: IncidentView, headline: string): void {
  if (options.json) printJson(io, incident);
  else io.stdout(`${headline}\n${describeIncident(incident).join('\n')}\n`);
}

const suspend: Command = {
  path: ['incident', 'suspend'],
  usage: '--reason TEXT [--person ID] [--json] [--transport-url URL] [--credentials FILE]',
  summary:
    'Stops the exchange with the Bank of Russia at once for an information-security incident and sends the signed suspension request (802-П п. 19).',
  options: { ...COMMON_OPTIONS, reason: { type: 'string' }, person: { type: 'string' } },
  async run(_positionals, options, io) {
    const reason = options.reason as string | undefined;
    if (!reason) throw new CliError('CLI_USAGE', '--reason is required');
    const target = transportTarget(options, io);
    const personId = await personFor(target, options);
    const answer = await call(target, 'POST', '/v1/incidents/suspend', { reason, personId });
    if (answer.status !== 200 && answer.status !== 202) return refused(io, options, answer);
    const incident = answer.json as unknown as IncidentView;
    printIncident(
      io,
      options,
      incident,
      answer.status === 200
        ? 'exchange suspended; the Bank of Russia confirmed the suspension'
        : 'exchange suspended here; the request waits for the main channel — send the reserve copy now',
    );
    return EXIT_OK;
  },
};

const resume: Command = {
  path: ['incident', 'resume'],
  usage: '[--person ID] [--json] [--transport-url URL] [--credentials FILE]',
  summary:
    'Sends the signed request to cancel the suspension; the exchange runs again once the Bank of Russia answers (802-П п. 19).',
  options: { ...COMMON_OPTIONS, person: { type: 'string' } },
  async run(_positionals, options, io) {
    const target = transportTarget(options, io);
    const person = options.person as string | undefined;
    const answer = await call(target, 'POST', '/v1/incidents/resume', person ? { personId: person } : {});
    if (answer.status !== 200 && answer.status !== 202) return refused(io, options, answer);
    const incident = answer.json as unknown as IncidentView;
    printIncident(
      io,
      options,
      incident,
      answer.status === 200
        ? 'exchange resumed on the Bank of Russia answer; annulled orders must be sent again as new orders'
        : 'cancellation requested; the exchange stays stopped until the Bank of Russia answers',
    );
    return EXIT_OK;
  },
};

const status: Command = {
  path: ['incident', 'status'],
  usage: '[--json] [--transport-url URL] [--credentials FILE]',
  summary: 'Shows the state of the exchange, the current incident and its requests, and the history.',
  options: { ...COMMON_OPTIONS },
  async run(_positionals, options, io) {
    const answer = await call(transportTarget(options, io), 'GET', '/v1/incidents');
    if (answer.status !== 200) return refused(io, options, answer);
    if (options.json) {
      printJson(io, answer.json);
      return EXIT_OK;
    }
    const view = answer.json as {
      exchange: { state: string; since: string; incidentId: string | null };
      resendRequired: boolean;
      current: IncidentView | null;
      incidents: IncidentView[];
    };
    const lines = [`exchange: ${view.exchange.state} since ${view.exchange.since}`];
    if (view.resendRequired) lines.push('a request must go again through the main channel (802-П п. 19.1)');
    if (view.current) lines.push(...describeIncident(view.current));
    const past = view.incidents.filter((i) => i.id !== view.current?.id);
    if (past.length > 0) lines.push(`earlier incidents: ${past.length}`);
    for (const i of past.slice(0, 5)) lines.push(`  ${i.id}  ${i.state}  ${i.suspendedAt}  ${i.reason}`);
    io.stdout(`${lines.join('\n')}\n`);
    return EXIT_OK;
  },
};

const persons: Command = {
  path: ['incident', 'persons'],
  usage: '[--all] [--json] [--transport-url URL] [--credentials FILE]',
  summary: 'Lists the authorised persons who sign incident requests (802-П п. 19.3).',
  options: { ...COMMON_OPTIONS, all: { type: 'boolean' } },
  async run(_positionals, options, io) {
    const answer = await call(
      transportTarget(options, io),
      'GET',
      `/v1/incidents/persons${options.all ? '?all=true' : ''}`,
    );
    if (answer.status !== 200) return refused(io, options, answer);
    if (options.json) {
      printJson(io, answer.json);
      return EXIT_OK;
    }
    const items = (answer.json.items ?? []) as {
      id: string;
      fullName: string;
      position: string;
      phone: string;
      fax: string | null;
      email: string;
      active: boolean;
      serverSigning: boolean;
      certificate: { serial: string; notAfter: string };
    }[];
    if (items.length === 0) io.stdout('no authorised person is registered (POST /v1/incidents/persons)\n');
    for (const p of items) {
      io.stdout(
        `${p.id}${p.active ? '' : ' (removed)'}: ${p.fullName}, ${p.position}\n` +
          `  phone ${p.phone}${p.fax ? `, fax ${p.fax}` : ''}, e-mail ${p.email}\n` +
          `  certificate ${p.certificate.serial}, valid to ${p.certificate.notAfter}; ${p.serverSigning ? 'signs on the server' : 'signs with their own tool'}\n`,
      );
    }
    return EXIT_OK;
  },
};

const pdf: Command = {
  path: ['incident', 'pdf'],
  usage: 'REQUEST_ID [--out FILE] [--transport-url URL] [--credentials FILE]',
  summary: 'Saves the printable reserve copy of an incident request, for fax or e-mail (802-П п. 19.4).',
  options: { 'transport-url': { type: 'string' }, credentials: { type: 'string' }, out: { type: 'string' } },
  async run(positionals, options, io) {
    const requestId = onePositional(positionals, 'request id');
    const target = transportTarget(options, io);
    const listed = await call(target, 'GET', '/v1/incidents');
    if (listed.status !== 200) return refused(io, options, listed);
    const incidents = (listed.json.incidents ?? []) as IncidentView[];
    const owner = incidents.find((i) => i.requests.some((r) => r.id === requestId));
    const request = owner?.requests.find((r) => r.id === requestId);
    if (!owner || !request?.reserveCopy) {
      throw new CliError('CLI_INCIDENT_NO_RESERVE_COPY', `no reserve copy of request ${requestId}`, EXIT_INVALID);
    }
    const answer = await call(target, 'GET', request.reserveCopy.url);
    if (answer.status !== 200) return refused(io, options, answer);
    const out = userPath(io, (options.out as string | undefined) ?? `incident-request-${requestId}.pdf`);
    writeFileSync(out, answer.bytes);
    io.stdout(`${out} (${answer.bytes.length} bytes, SHA-256 ${request.reserveCopy.sha256})\n`);
    return EXIT_OK;
  },
};

/** `twincontour incident …` */
export const incidentCommands: readonly Command[] = [suspend, resume, status, persons, pdf];
