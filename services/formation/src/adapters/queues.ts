import {
  createQueue,
  outboxBacklog,
  type Pool,
  QUEUE_NAMES,
  type RedisConnection,
  redisConnectionFromUrl,
} from '@twincontour/platform';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { DepthSources, GaugeSample } from './metrics.js';
import { webhookBacklog } from './webhook-store.js';

/** The key prefix of the formation↔control boundary: `<prefix>-f2c` (services.md), so queues never mix. */
export function f2cBoundaryPrefix(queuePrefix: string): string {
  return `${queuePrefix}-f2c`;
}

/** Producer-side handles on the formation↔control boundary Redis. */
export interface BoundaryQueues {
  /** How to reach the boundary Redis (the worker opens its own connections from it). */
  readonly connection: RedisConnection;
  /** `<prefix>-f2c`. */
  readonly prefix: string;
  /** formation → control: the relay adds the signed EDs here. */
  readonly f2c: Queue;
  /** control → formation: only read here (depth metric); the worker consumes it. */
  readonly c2f: Queue;
  /** A plain client on the boundary Redis for the readiness check (PING). */
  readonly redis: Redis;
  close(): Promise<void>;
}

/** Opens the f2c and c2f queues on the boundary Redis (one per boundary: services.md). */
export function openBoundaryQueues(
  boundaryRedis: string | RedisConnection,
  queuePrefix: string,
  options: { skipVersionCheck?: boolean } = {},
): BoundaryQueues {
  const connection = typeof boundaryRedis === 'string' ? redisConnectionFromUrl(boundaryRedis) : boundaryRedis;
  const prefix = f2cBoundaryPrefix(queuePrefix);
  const common = { skipVersionCheck: options.skipVersionCheck ?? false };
  const f2c = createQueue(QUEUE_NAMES.f2c, connection, prefix, common);
  const c2f = createQueue(QUEUE_NAMES.c2f, connection, prefix, common);
  // A readiness PING must fail fast while Redis is down, not wait for it as BullMQ's clients do.
  const redis = new Redis({ ...connection, maxRetriesPerRequest: 1, lazyConnect: true, enableReadyCheck: false });
  redis.on('error', () => {
    // Reported by /ready (and by BullMQ's own clients); an unhandled 'error' event would crash the process.
  });
  return {
    connection,
    prefix,
    f2c,
    c2f,
    redis,
    async close() {
      await Promise.all([f2c.close(), c2f.close()]);
      redis.disconnect();
    },
  };
}

const STATES = ['wait', 'active', 'delayed', 'failed'] as const;

/** The scrape-time sources of the depth gauges: BullMQ job counts, the f2c outbox and the webhook backlog. */
export function depthSources(queues: BoundaryQueues, pool: Pool): DepthSources {
  return {
    async queueDepth() {
      const out: GaugeSample<'queue' | 'state'>[] = [];
      for (const queue of [queues.f2c, queues.c2f]) {
        const counts = await queue.getJobCounts(...STATES);
        for (const state of STATES) out.push({ labels: { queue: queue.name, state }, value: counts[state] ?? 0 });
      }
      return out;
    },
    async outboxBacklog() {
      const backlog = await outboxBacklog(pool, QUEUE_NAMES.f2c);
      return [{ queue: QUEUE_NAMES.f2c, ...backlog }];
    },
    webhookBacklog: () => webhookBacklog(pool),
  };
}
