import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PaymentOrder } from '@twincontour/ufebs';
import type { Command } from '../command.js';
import type { DevCredentials } from '../dev/environment.js';
import { REPO_ROOT } from '../dev/processes.js';
import { CliError, EXIT_INVALID, EXIT_OK, printJson, userPath } from '../io.js';

/** The demo scenarios and the outcome each must reach to count as shown. */
export const SCENARIOS = {
  happy: {
    expect: 'executed',
    explain:
      'an order and its primary document; both contours sign it, transport delivers it, the Bank of Russia executes it',
  },
  mismatch: {
    expect: 'rejected-by-control',
    explain: 'the primary document differs (sum, payee name): control refuses',
  },
  duplicate: { expect: 'rejected-by-control', explain: 'the same payment sent twice: control refuses the second' },
  'missing-source': {
    expect: 'rejected-by-control',
    explain: 'no primary document arrives: control refuses after its wait',
  },
} as const;

type Scenario = keyof typeof SCENARIOS;

interface StageView {
  stage: string;
  at: string;
  code?: string;
  reason?: string;
  diff?: { field: string; ed: string | null; source: string | null }[];
}

interface OrderView {
  id: string;
  status: string;
  code?: string;
  ed?: { edNo: string; edDate: string; edAuthor: string } | null;
  stages: StageView[];
}

const TERMINAL = new Set([
  'executed',
  'rejected-by-formation',
  'rejected-by-control',
  'rejected-by-transport',
  'rejected-by-cbr',
  'annulled',
]);

function moscowToday(): string {
  return new Date(Date.now() + 3 * 3600_000).toISOString().slice(0, 10);
}

async function call(
  method: string,
  url: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        authorization: `ApiKey ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new CliError(
      'CLI_GATEWAY_UNREACHABLE',
      `nothing answers at ${new URL(url).origin}: is the gateway running (npm start)?`,
    );
  }
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { raw: text.slice(0, 200) };
  }
  return { status: response.status, json };
}

function describe(view: OrderView): string[] {
  return view.stages.map((s) => {
    const extra = [s.code, s.reason].filter(Boolean).join(' — ');
    const lines = [`  ${s.at}  ${s.stage}${extra ? `  (${extra})` : ''}`];
    for (const d of s.diff ?? [])
      lines.push(`      ${d.field}: ED has ${JSON.stringify(d.ed)}, primary document has ${JSON.stringify(d.source)}`);
    return lines.join('\n');
  });
}

const demo: Command = {
  path: ['demo'],
  usage:
    '--scenario happy|mismatch|duplicate|missing-source [--json] [--formation-url URL] [--control-url URL] [--transport-url URL] [--simulator-url URL] [--credentials FILE] [--timeout-ms N]',
  summary:
    "The integrator's smoke test: runs one scenario against the running gateway with the development credentials, follows the order to its final state and prints the stage history.",
  options: {
    scenario: { type: 'string' },
    json: { type: 'boolean' },
    'formation-url': { type: 'string', default: 'http://127.0.0.1:8081' },
    'control-url': { type: 'string', default: 'http://127.0.0.1:8082' },
    'transport-url': { type: 'string', default: 'http://127.0.0.1:8083' },
    'simulator-url': { type: 'string', default: 'http://127.0.0.1:8084' },
    credentials: { type: 'string' },
    'timeout-ms': { type: 'string', default: '90000' },
  },
  async run(_positionals, options, io) {
    const scenario = options.scenario as string | undefined;
    if (!scenario || !(scenario in SCENARIOS)) {
      throw new CliError('CLI_USAGE', `--scenario is one of ${Object.keys(SCENARIOS).join(', ')}`);
    }
    const credentialsFile = userPath(
      io,
      (options.credentials as string | undefined) ??
        join(io.env.TWINCONTOUR_DEV_DIR ?? join(REPO_ROOT, '.dev'), 'credentials.json'),
    );
    if (!existsSync(credentialsFile)) {
      throw new CliError('CLI_NO_DEV_CREDENTIALS', `${credentialsFile} is missing: start the gateway once (npm start)`);
    }
    const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as DevCredentials;
    const result = await runScenario(scenario as Scenario, {
      formationUrl: options['formation-url'] as string,
      controlUrl: options['control-url'] as string,
      formationKey: credentials.formation.backoffice!.key,
      controlKey: credentials.control.backoffice!.key,
      ...(credentials['cbr-simulator']?.ops
        ? { simulatorUrl: options['simulator-url'] as string, simulatorKey: credentials['cbr-simulator'].ops.key }
        : {}),
      transportUrl: options['transport-url'] as string,
      timeoutMs: Number(options['timeout-ms']),
      progress: options.json ? () => {} : (line) => io.stdout(`${line}\n`),
    });
    if (options.json) {
      const { expected: _expected, ...shown } = result;
      printJson(io, shown);
    } else {
      io.stdout(
        result.orderId
          ? `\norder ${result.orderId}: ${result.status}${result.code ? ` (${result.code})` : ''}\n`
          : `\nno order: formation refused it (${result.code}): ${result.message ?? ''}\n`,
      );
      if (result.envelopePath) io.stdout(`the Bank of Russia (simulator) received: ${result.envelopePath}\n`);
      io.stdout(`${describe({ id: result.orderId, status: result.status, stages: result.stages }).join('\n')}\n`);
      io.stdout(
        result.status === result.expected
          ? `\nas expected for "${scenario}": ${SCENARIOS[scenario as Scenario].explain}\n`
          : `\nNOT as expected for "${scenario}" (expected ${result.expected})\n`,
      );
    }
    return result.status === result.expected ? EXIT_OK : EXIT_INVALID;
  },
};

/** What a scenario ended with; `--json` prints exactly this. */
export interface ScenarioResult {
  scenario: string;
  orderId: string;
  status: string;
  code: string | null;
  stages: StageView[];
  /** The file the Bank of Russia simulator received for this order (happy path with transport running). */
  envelopePath?: string;
  /** The final stage this scenario must reach here (not printed with --json). */
  expected: string;
  /** Formation's message when it refused the order outright (status `refused`, e.g. code EXCHANGE_SUSPENDED). */
  message?: string;
}

/** Formation refused the order because the exchange is suspended for an incident (802-П п. 19). */
class ExchangeSuspended extends Error {}

/** Runs one demo scenario against formation and control; used by `twincontour demo` and the end-to-end tests. */
export async function runScenario(
  scenario: Scenario,
  options: {
    formationUrl: string;
    controlUrl: string;
    formationKey: string;
    controlKey: string;
    transportUrl?: string;
    simulatorUrl?: string;
    simulatorKey?: string;
    timeoutMs: number;
    progress?: (line: string) => void;
  },
): Promise<ScenarioResult> {
  const progress = options.progress ?? (() => {});
  // Without transport (not running), the furthest an accepted order can go is control's signature.
  const transportUp = options.transportUrl ? await reachable(`${options.transportUrl}/health`) : false;
  const expected = scenario === 'happy' && !transportUp ? 'signed-by-control' : SCENARIOS[scenario].expect;
  const order = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', 'payment-order.json'), 'utf8')) as PaymentOrder;
  // A fresh document number and today's date, so that runs of the demo are not each other's duplicates.
  order.accDocNo = String(100000 + Math.floor(Math.random() * 899999));
  order.accDocDate = moscowToday();
  progress(`scenario ${scenario}: ${SCENARIOS[scenario].explain}`);

  if (scenario !== 'missing-source') {
    const source: PaymentOrder =
      scenario === 'mismatch'
        ? {
            ...order,
            sum: String(BigInt(order.sum) + 100n),
            payee: { ...order.payee, name: `${order.payee.name} ЛТД` },
          }
        : order;
    const posted = await call('POST', `${options.controlUrl}/v1/source-documents`, options.controlKey, source);
    if (posted.status !== 201 && posted.status !== 200) {
      throw new CliError(
        'CLI_DEMO_FAILED',
        `control refused the primary document: ${posted.status} ${JSON.stringify(posted.json)}`,
      );
    }
    progress(`primary document posted to control${scenario === 'mismatch' ? ' (altered: sum +1.00, payee name)' : ''}`);
  } else {
    progress('primary document withheld');
  }

  const post = async () => {
    const answer = await call('POST', `${options.formationUrl}/v1/payment-orders`, options.formationKey, order, {
      'idempotency-key': `demo-${randomUUID()}`,
    });
    if (answer.status === 503 && answer.json.code === 'EXCHANGE_SUSPENDED') {
      throw new ExchangeSuspended(String(answer.json.message ?? 'the exchange is suspended'));
    }
    if (answer.status !== 201) {
      throw new CliError(
        'CLI_DEMO_FAILED',
        `formation refused the order: ${answer.status} ${JSON.stringify(answer.json)}`,
        EXIT_INVALID,
      );
    }
    return answer.json as unknown as OrderView;
  };
  let view: OrderView;
  try {
    view = await post();
  } catch (error) {
    if (!(error instanceof ExchangeSuspended)) throw error;
    // 802-П п. 19: the exchange is suspended; nothing was accepted. Reported as a result, not a failure to run.
    progress(`formation refused the order: EXCHANGE_SUSPENDED — ${error.message}`);
    return {
      scenario,
      orderId: '',
      status: 'refused',
      code: 'EXCHANGE_SUSPENDED',
      stages: [],
      expected,
      message: error.message,
    };
  }
  progress(`order ${view.id} accepted by formation`);
  if (scenario === 'duplicate') {
    view = await post();
    progress(`the same payment sent again as order ${view.id}`);
  }

  const deadline = Date.now() + options.timeoutMs;
  while (!TERMINAL.has(view.status) && view.status !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const answer = await call('GET', `${options.formationUrl}/v1/payment-orders/${view.id}`, options.formationKey);
    if (answer.status === 200) view = answer.json as unknown as OrderView;
  }
  const last = [...view.stages].reverse().find((s) => s.code);
  const result: ScenarioResult = {
    scenario,
    orderId: view.id,
    status: view.status,
    code: last?.code ?? null,
    stages: view.stages,
    expected,
  };
  if (view.ed && options.simulatorUrl && options.simulatorKey && transportUp) {
    const received = await call('GET', `${options.simulatorUrl}/v1/received`, options.simulatorKey);
    const items = (received.json.items ?? []) as {
      ed?: { edNo: string; edDate: string; edAuthor: string };
      path?: string;
    }[];
    const ed = view.ed;
    const match = items.find(
      (i) => i.ed?.edNo === ed.edNo && i.ed.edDate === ed.edDate && i.ed.edAuthor === ed.edAuthor,
    );
    if (match?.path) result.envelopePath = match.path;
  }
  return result;
}

async function reachable(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

/** `twincontour demo` */
export const demoCommands: readonly Command[] = [demo];
