#!/usr/bin/env node
// The gateway's one command-line tool. The sources are TypeScript run through tsx, so that the
// installed bin and `pnpm twincontour` execute exactly the code the tests cover (no build step to forget).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
