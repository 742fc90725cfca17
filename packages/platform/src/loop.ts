import type { Logger } from 'pino';

/** A background loop: runs `run` every `intervalMs` (at once again when it reports it is busy). */
export interface Loop {
  start(): void;
  /** Runs again as soon as the current run (if any) ends. */
  nudge(): void;
  /** Stops and waits for the run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `run` repeatedly, never two at once: after a run that returns true (more work is waiting) or a
 * nudge, at once; otherwise after `intervalMs`. A failing run is logged and retried after the interval.
 */
export function createLoop(name: string, run: () => Promise<boolean>, intervalMs: number, logger: Logger): Loop {
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let again = false;
  const tick = (): void => {
    if (!running) return;
    again = false;
    inFlight = run()
      .then(
        (busy) => (busy || again ? 0 : intervalMs),
        (error: unknown) => {
          logger.error({ err: error, loop: name }, 'background run failed');
          return intervalMs;
        },
      )
      .then((delay) => {
        inFlight = undefined;
        if (running) timer = setTimeout(tick, delay);
      });
  };
  return {
    start() {
      if (running) return;
      running = true;
      tick();
    },
    nudge() {
      if (!running) return;
      if (inFlight) {
        again = true;
        return;
      }
      clearTimeout(timer);
      tick();
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
