import { main } from '@twincontour/cli';
import { createPool, type Pool } from '@twincontour/platform';
import type { AcceptedOrder } from './load.js';

// What must hold after the storm (issue 8): every accepted order reached a terminal state, the Bank of
// Russia (simulator) received each delivered ED exactly once, nothing stayed half-sent. Read straight from
// each service's own database: the services' answers are what is being checked.

/** Final states of an order at formation (a refusal at any stage, an annulment, or execution). */
export const TERMINAL = new Set([
  'executed',
  'rejected-by-formation',
  'rejected-by-control',
  'rejected-by-transport',
  'rejected-by-cbr',
  'annulled',
]);

/** The outcome of the checks. */
export interface Verdict {
  accepted: number;
  /** Accepted orders whose ED the simulator received exactly once. */
  delivered: number;
  /** Accepted orders that ended in a terminal refusal (by code in `refusals`). */
  refused: number;
  /** Accepted orders not in a terminal state (or missing at formation). */
  lost: number;
  /** ED identities the simulator received more than once. */
  duplicated: number;
  refusals: Record<string, number>;
  /** Everything else that must not happen, each a sentence; empty when all is well. */
  problems: string[];
  /** Facts worth printing (not failures). */
  notes: string[];
}

/** A pool per service database, as the superuser (read only here). */
export function openPools(adminUrl: string, databases: Record<string, string>): Record<string, Pool> {
  const pools: Record<string, Pool> = {};
  for (const [service, database] of Object.entries(databases)) {
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    pools[service] = createPool({ connectionString: url.toString(), max: 2, applicationName: 'faults-checker' });
  }
  return pools;
}

interface OrderRow {
  id: string;
  status: string;
  ed_no: number;
  ed_date: string;
  ed_author: string;
  code: string | null;
  sent: boolean;
}

/** Status of every order formation holds. */
export async function formationOrders(formation: Pool): Promise<Map<string, OrderRow>> {
  const result = await formation.query<OrderRow>(
    `select o.id, o.status, o.ed_no, to_char(o.ed_date, 'YYYY-MM-DD') as ed_date, o.ed_author,
            (select s.code from order_stages s where s.order_id = o.id and s.code is not null
              order by s.seq desc limit 1) as code,
            exists (select 1 from order_stages s where s.order_id = o.id and s.stage = 'sent') as sent
       from orders o`,
  );
  return new Map(result.rows.map((r) => [r.id, r]));
}

/** How many of `accepted` are not terminal yet (for the drain loop), and the count by status. */
export async function progress(
  formation: Pool,
  accepted: readonly AcceptedOrder[],
): Promise<{ open: number; byStatus: Record<string, number> }> {
  const result = await formation.query<{ status: string; n: string }>(
    'select status, count(*) as n from orders where id = any($1::text[]) group by status',
    [accepted.map((a) => a.orderId)],
  );
  const byStatus: Record<string, number> = {};
  let terminal = 0;
  for (const row of result.rows) {
    byStatus[row.status] = Number(row.n);
    if (TERMINAL.has(row.status)) terminal += Number(row.n);
  }
  return { open: accepted.length - terminal, byStatus };
}

const key = (ed: { edNo: string | number; edDate: string; edAuthor: string }) =>
  `${ed.edAuthor}-${ed.edDate}-${ed.edNo}`;

/** Runs every check over the four databases. */
export async function verify(accepted: readonly AcceptedOrder[], pools: Record<string, Pool>): Promise<Verdict> {
  const formation = pools.formation;
  const simulator = pools['cbr-simulator'];
  const transport = pools.transport;
  if (!formation || !simulator || !transport) throw new Error('FAULTS_NO_POOLS');
  const verdict: Verdict = {
    accepted: accepted.length,
    delivered: 0,
    refused: 0,
    lost: 0,
    duplicated: 0,
    refusals: {},
    problems: [],
    notes: [],
  };
  const orders = await formationOrders(formation);

  const received = await simulator.query<{
    ed_no: string;
    ed_date: string;
    ed_author: string;
    n: string;
    states: string[];
  }>(
    `select ed_no, ed_date, ed_author, count(*) as n, array_agg(state order by seq) as states
       from received where ed_no is not null group by ed_no, ed_date, ed_author`,
  );
  const receivedBy = new Map(
    received.rows.map((r) => [key({ edNo: r.ed_no, edDate: r.ed_date, edAuthor: r.ed_author }), r]),
  );
  for (const r of received.rows) {
    if (Number(r.n) > 1) {
      verdict.duplicated++;
      if (verdict.duplicated <= 5) {
        verdict.problems.push(
          `ED ${r.ed_author}-${r.ed_date}-${r.ed_no} received ${r.n} times (${r.states.join(', ')})`,
        );
      }
    }
  }
  const unreadable = await simulator.query<{ n: string }>(`select count(*) as n from received where ed_no is null`);
  if (Number(unreadable.rows[0]?.n ?? 0) > 0) {
    verdict.problems.push(`${unreadable.rows[0]?.n} envelopes the simulator could not read`);
  }

  const acceptedIds = new Set(accepted.map((a) => a.orderId));
  const ours = new Set<string>();
  for (const order of accepted) {
    const row = orders.get(order.orderId);
    const ed = key(order.ed);
    ours.add(ed);
    if (!row) {
      verdict.lost++;
      verdict.problems.push(`order ${order.orderId} was accepted but formation does not hold it`);
      continue;
    }
    if (key({ edNo: row.ed_no, edDate: row.ed_date, edAuthor: row.ed_author }) !== ed) {
      verdict.problems.push(`order ${order.orderId}: formation holds another ED identity than it answered`);
    }
    const got = receivedBy.get(ed);
    const copies = got ? Number(got.n) : 0;
    if (copies === 1) verdict.delivered++;
    if (!TERMINAL.has(row.status)) {
      verdict.lost++;
      if (verdict.lost <= 10) verdict.problems.push(`order ${order.orderId} stuck at ${row.status}`);
    } else {
      if (row.status !== 'executed') {
        verdict.refused++;
        const code = row.code ?? row.status;
        verdict.refusals[code] = (verdict.refusals[code] ?? 0) + 1;
      }
      // A valid order has no reason to be refused, and a refused one none to be executed.
      if (row.status !== order.expect) {
        verdict.problems.push(
          `order ${order.orderId} ended ${row.status} (${row.code ?? '-'}), expected ${order.expect}`,
        );
      }
      if (row.status.startsWith('rejected-by-control') && copies > 0) {
        verdict.problems.push(`order ${order.orderId} was refused by control, yet the simulator received ${ed}`);
      }
    }
    if ((row.sent || row.status === 'executed') && copies === 0) {
      verdict.problems.push(
        `order ${order.orderId} is ${row.status} at formation but the simulator never received ${ed}`,
      );
    }
    if (row.status === 'executed' && got && !got.states.includes('executed')) {
      verdict.problems.push(`order ${order.orderId} executed at formation, simulator state ${got.states.join(', ')}`);
    }
  }
  for (const [id, row] of orders) {
    if (acceptedIds.has(id)) continue;
    // Committed though the back office never saw the answer: it must still end, and it counts as accepted.
    verdict.notes.push(`order ${id} is held by formation without a 2xx seen by the back office (${row.status})`);
    if (!TERMINAL.has(row.status)) verdict.problems.push(`unacknowledged order ${id} stuck at ${row.status}`);
    ours.add(key({ edNo: row.ed_no, edDate: row.ed_date, edAuthor: row.ed_author }));
  }
  for (const ed of receivedBy.keys()) {
    if (!ours.has(ed)) verdict.problems.push(`the simulator received ${ed}, which no order at formation carries`);
  }

  const states = await transport.query<{ state: string; n: string }>(
    'select state, count(*) as n from messages group by state',
  );
  const delivering = states.rows.find((r) => r.state === 'delivering');
  if (delivering) verdict.problems.push(`${delivering.n} messages still delivering at transport`);
  verdict.notes.push(`transport messages: ${states.rows.map((r) => `${r.state}=${r.n}`).join(' ')}`);

  // Every answer the simulator sent names one of our EDs: transport refusing one (unmatched) loses a stage.
  const refusedAnswers = await transport.query<{ code: string; n: string }>(
    `select code, count(*) as n from archive where direction = 'in' and code is not null group by code`,
  );
  for (const row of refusedAnswers.rows) verdict.problems.push(`${row.n} answers refused by transport (${row.code})`);

  for (const service of ['formation', 'control', 'transport'] as const) {
    const pool = pools[service];
    if (!pool) continue;
    const backlog = await pool.query<{ queue: string; n: string; failed: string }>(
      `select queue, count(*) as n, count(*) filter (where last_state = 'failed') as failed
         from outbox where acked_at is null group by queue`,
    );
    for (const row of backlog.rows) {
      verdict.notes.push(`${service} outbox ${row.queue}: ${row.n} not yet acknowledged (${row.failed} failed jobs)`);
    }
  }
  return verdict;
}

/** One contour's audit verification as `twincontour audit verify --json` reports it. */
interface AuditResult {
  source: string;
  ok: boolean;
  events: number;
  checkpoints: number;
  firstBroken?: { code: string; seq?: string; message: string };
}

/**
 * `twincontour audit verify --json` over the three contours' databases (DESIGN.md, Audit log): every
 * hash chain and signed checkpoint must verify after the crashes. Returns one line per contour and the
 * problems found.
 */
export async function verifyAudit(
  pkiDir: string,
  databases: Record<string, string>,
): Promise<{ lines: string[]; problems: string[] }> {
  let out = '';
  let err = '';
  const env: Record<string, string> = {};
  for (const contour of ['formation', 'control', 'transport']) {
    const url = databases[contour];
    if (url) env[`TWINCONTOUR_AUDIT_DATABASE_URL_${contour.toUpperCase()}`] = url;
  }
  const code = await main(['audit', 'verify', '--json', '--trust-dir', pkiDir], {
    stdout: (chunk) => {
      out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    },
    stderr: (chunk) => {
      err += chunk;
    },
    cwd: process.cwd(),
    env,
  });
  const problems: string[] = [];
  let results: AuditResult[] = [];
  try {
    results = (JSON.parse(out) as { results: AuditResult[] }).results;
  } catch {
    problems.push(`audit verify printed no JSON (exit ${code}): ${err.slice(0, 500)}`);
  }
  const lines = results.map(
    (r) => `audit ${r.source}: ${r.ok ? 'verifies' : 'BROKEN'} (${r.events} events, ${r.checkpoints} checkpoints)`,
  );
  for (const r of results) {
    if (!r.ok) problems.push(`audit chain of ${r.source} does not verify: ${JSON.stringify(r.firstBroken)}`);
  }
  if (code !== 0 && problems.length === 0) problems.push(`audit verify exited ${code}: ${err.slice(0, 500)}`);
  if (results.length !== 3 && problems.length === 0) problems.push(`audit verify reported ${results.length} contours`);
  return { lines, problems };
}
