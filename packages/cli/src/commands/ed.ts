import {
  checkEd,
  type EdIdentity,
  edToOrder,
  normalizeEd,
  orderToEd101,
  parseEd,
  validatePaymentOrder,
  writeEd101,
  xsdValidate,
} from '@twincontour/ufebs';
import type { Command } from '../command.js';
import {
  CliError,
  EXIT_INVALID,
  EXIT_OK,
  EXIT_UNUSABLE,
  onePositional,
  printJson,
  readInput,
  userPath,
} from '../io.js';
import { edSignCommand, edVerifyCommand } from './ed-sign.js';

function todayMoscow(): string {
  // The operating day of the Bank of Russia is Moscow time (UTC+3, no daylight saving).
  return new Date(Date.now() + 3 * 3600_000).toISOString().slice(0, 10);
}

const check: Command = {
  path: ['ed', 'check'],
  usage: 'FILE [--schema]',
  summary:
    'Parse an ED or PacketEPD and run every requisite check; findings as JSON; exit 0 valid, 1 invalid, 2 unreadable.',
  options: { schema: { type: 'boolean' } },
  async run(positionals, options, io) {
    const file = onePositional(positionals, 'FILE');
    const bytes = await readInput(userPath(io, file));
    const report = checkEd(bytes);
    let schema: { ok: boolean; output: string } | undefined;
    if (options.schema === true && report.readable) {
      schema = await xsdValidate(bytes);
      if (!schema.ok) report.valid = false;
    }
    printJson(io, { file, ...report, ...(schema ? { schema } : {}) });
    if (!report.readable) return EXIT_UNUSABLE;
    return report.valid ? EXIT_OK : EXIT_INVALID;
  },
};

const build: Command = {
  path: ['ed', 'build'],
  usage: 'ORDER.json --ed-author UIS [--ed-no N] [--ed-date YYYY-MM-DD] [--ed-receiver UIS]',
  summary: "A payment order in the gateway's JSON form → ED101 XML (Windows-1251) on stdout.",
  options: {
    'ed-author': { type: 'string' },
    'ed-no': { type: 'string', default: '1' },
    'ed-date': { type: 'string' },
    'ed-receiver': { type: 'string' },
  },
  async run(positionals, options, io) {
    const file = onePositional(positionals, 'ORDER.json');
    const text = Buffer.from(await readInput(userPath(io, file))).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CliError('CLI_BAD_JSON', `${file} is not JSON`);
    }
    const author = (options['ed-author'] as string | undefined) ?? io.env.TWINCONTOUR_ED_AUTHOR;
    if (!author)
      throw new CliError('CLI_USAGE', 'give --ed-author (the bank’s УИС, 10 digits) or TWINCONTOUR_ED_AUTHOR');
    const order = validatePaymentOrder(json);
    if (!order.ok) {
      printJson(io, { file, valid: false, code: order.code, findings: order.errors ?? [] });
      return EXIT_INVALID;
    }
    const identity: EdIdentity & { edReceiver?: string } = {
      edNo: options['ed-no'] as string,
      edDate: (options['ed-date'] as string | undefined) ?? todayMoscow(),
      edAuthor: author,
    };
    const receiver = options['ed-receiver'] as string | undefined;
    if (receiver !== undefined) identity.edReceiver = receiver;
    const ed = orderToEd101(order.value, identity);
    const bytes = writeOrThrow(writeEd101(ed));
    // The identity options are checked with the written ED, exactly as `ed check` would see it.
    const report = checkEd(bytes);
    if (!report.valid) {
      printJson(io, { file, valid: false, findings: report.findings });
      return EXIT_INVALID;
    }
    io.stdout(bytes);
    return EXIT_OK;
  },
};

function writeOrThrow(result: ReturnType<typeof writeEd101>): Uint8Array {
  if (!result.ok) throw new CliError(result.code, result.message, EXIT_INVALID);
  return result.value;
}

const toOrder: Command = {
  path: ['ed', 'to-order'],
  usage: 'FILE',
  summary: "ED101 → the gateway's JSON payment order on stdout.",
  async run(positionals, _options, io) {
    const file = onePositional(positionals, 'FILE');
    const parsed = parseEd(await readInput(userPath(io, file)));
    if (!parsed.ok) {
      printJson(io, { file, code: parsed.code, message: parsed.message, findings: parsed.errors ?? [] });
      return parsed.code.startsWith('UFEBS_XML_') ? EXIT_UNUSABLE : EXIT_INVALID;
    }
    if (parsed.value.kind !== 'ED101') {
      throw new CliError('CLI_NOT_ED101', `${file} is ${parsed.value.kind}, not ED101`, EXIT_INVALID);
    }
    printJson(io, edToOrder(parsed.value));
    return EXIT_OK;
  },
};

const normalize: Command = {
  path: ['ed', 'normalize'],
  usage: 'FILE',
  summary: 'The normalized bytes a ЗК covers (UTF-8, canonical, without dsig:SigValue) on stdout.',
  async run(positionals, _options, io) {
    const file = onePositional(positionals, 'FILE');
    const result = normalizeEd(await readInput(userPath(io, file)));
    if (!result.ok) throw new CliError(result.code, result.message);
    io.stdout(result.value);
    return EXIT_OK;
  },
};

/** `twincontour ed …` */
export const edCommands: readonly Command[] = [check, build, toOrder, normalize, edSignCommand, edVerifyCommand];
