// `npm start` / `pnpm start` (after scripts/tc.mjs installed what was missing): the whole gateway,
// each service as its own process, with development keys and credentials made on first start.
import { startGateway } from '../packages/cli/src/dev/gateway.js';

process.exitCode = await startGateway();
