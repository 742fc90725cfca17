import type { Pool } from '@twincontour/platform';
import { createLoop, type Loop } from '@twincontour/platform';
import type { Logger } from 'pino';
import { createPickupPoller, writeAnswerFile } from './adapters/arm-folder.js';
import { markWritten, publishDue, unwrittenAnswers } from './adapters/repository.js';

/** What the background side of the simulator needs. */
export interface SimulatorRuntimeOptions {
  pool: Pool;
  logger: Logger;
  participant: string;
  /** Publishes due answers (and in folder mode writes them out) every `publishMs`. */
  publishMs: number;
  /** folder mode: the pickup folder, the incoming folder, the poll interval and the intake. */
  folder?: {
    outDir: string;
    inDir: string;
    pollMs: number;
    intake: Parameters<typeof createPickupPoller>[0]['intake'];
  };
  clock?: () => Date;
}

/** The running background side. */
export interface SimulatorRuntime {
  start(): void;
  /** Runs the publisher at once (answers were just queued). */
  nudge(): void;
  /** One publisher run: publish due answers, write folder answers. Returns true when more may be waiting. */
  publishOnce(): Promise<boolean>;
  /** Stops the loops, waiting for runs in flight. */
  close(): Promise<void>;
}

/**
 * The simulator's loops: the publisher (an ED206 becomes visible once its delay passed; in folder mode every
 * published answer is written into the incoming folder, atomically, and recorded), and in folder mode the
 * pickup poller playing the АРМ.
 */
export function createSimulatorRuntime(options: SimulatorRuntimeOptions): SimulatorRuntime {
  const { pool, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const folder = options.folder;

  async function publishOnce(): Promise<boolean> {
    const published = await publishDue(pool, clock());
    if (!folder) return published >= 100;
    const pending = await unwrittenAnswers(pool, options.participant);
    for (const answer of pending) {
      try {
        const path = await writeAnswerFile(folder.inDir, answer);
        await markWritten(pool, answer.id, path);
      } catch (error) {
        logger.error({ err: error, code: 'SIM_FOLDER_FAILED', answerId: answer.id }, 'cannot write an answer');
        return false;
      }
    }
    return published >= 100 || pending.length >= 100;
  }

  const publisher: Loop = createLoop('publisher', publishOnce, options.publishMs, logger);
  const pickup = folder ? createPickupPoller({ dir: folder.outDir, intake: folder.intake, logger }) : undefined;
  const poller: Loop | undefined =
    folder && pickup
      ? createLoop(
          'pickup',
          async () => {
            try {
              await pickup.poll();
            } catch (error) {
              logger.error({ err: error, code: 'SIM_FOLDER_FAILED' }, 'cannot read the pickup folder');
            }
            return false;
          },
          folder.pollMs,
          logger,
        )
      : undefined;

  return {
    start() {
      publisher.start();
      poller?.start();
    },
    nudge: () => publisher.nudge(),
    publishOnce,
    async close() {
      await poller?.stop();
      await publisher.stop();
    },
  };
}
