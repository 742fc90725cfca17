import { defineProject } from 'vitest/config';

// Cross-service tests: every service a real process, real PostgreSQL and Redis.
export default defineProject({
  test: { include: ['e2e/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
