// The hostile-input suite against the four services built in this process (support/stack.ts): one stack
// for every suite, since building it (four databases, a development PKI per service, the transport runtime
// and its in-test Bank of Russia) costs more than most of the suites themselves.
import { afterAll, beforeAll, describe } from 'vitest';
import { authorizationTable } from './suites/authz.js';
import { httpFuzz } from './suites/http-fuzz.js';
import { intakeFuzz } from './suites/intake.js';
import { rateLimits } from './suites/rate-limit.js';
import { replays } from './suites/replay.js';
import { createStack, type Stack } from './support/stack.js';
import { createTally } from './support/tally.js';

const tally = createTally(import.meta.filename);
let stack: Stack | undefined;
const current = (): Stack => {
  if (!stack) throw new Error('the stack is not built');
  return stack;
};

beforeAll(async () => {
  stack = await createStack();
});
afterAll(async () => {
  tally.save();
  await stack?.close();
});

describe('authorization table', () => authorizationTable(current));
describe('hostile HTTP input on every route', () => httpFuzz(current, tally));
describe('the mTLS intake of the Bank of Russia simulator', () => intakeFuzz(current, tally));
describe('replayed messages', () => replays(current, tally));
describe('rate limits', () => rateLimits(current));
