import type { FastifyInstance } from 'fastify';

/** One thing to close on shutdown: a function, or a named one (the name appears in the log). */
export type CloseStep = (() => unknown) | { name: string; close: () => unknown };

/** Options of {@link runService}. */
export interface RunServiceOptions {
  /** The app from `buildServiceApp`. */
  app: FastifyInstance;
  port: number;
  /** Default `0.0.0.0` (inside its container the service is reached through its segment's network). */
  host?: string;
  /**
   * Closed in this order after the HTTP server stopped (workers, relays, queues, then pools: what
   * produces work first, what it writes to last). A failing step is logged and the next one still runs.
   */
  onClose?: readonly CloseStep[];
  /** Default SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
  /** Exit with code 1 if shutdown takes longer; default 15 000 ms. */
  shutdownTimeoutMs?: number;
  /** Default `process.exit`. */
  exit?: (code: number) => void;
}

/** A listening service. */
export interface RunningService {
  /** The address the server listens on (`http://127.0.0.1:8080`). */
  readonly address: string;
  /** Runs the shutdown sequence (as a signal would) and resolves with the exit code it used. */
  shutdown(reason?: string): Promise<number>;
}

function stepName(step: CloseStep, index: number): string {
  return typeof step === 'function' ? step.name || `step ${index + 1}` : step.name;
}

/**
 * The only place a service listens (`main.ts`). Listens, then on SIGTERM/SIGINT: stops accepting
 * connections and waits for requests in flight (`app.close()`; new requests meanwhile get 503), closes
 * each `onClose` step in order, and exits 0 — or 1 if a step failed or the timeout passed. A second
 * signal during shutdown exits 1 at once.
 */
export async function runService(options: RunServiceOptions): Promise<RunningService> {
  const { app } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let shuttingDown: Promise<number> | undefined;
  const handlers = new Map<NodeJS.Signals, () => void>();

  const shutdown = (reason = 'shutdown requested'): Promise<number> => {
    if (shuttingDown) return shuttingDown;
    shuttingDown = (async () => {
      app.log.info({ reason }, 'shutting down');
      const timer = setTimeout(() => {
        app.log.error({ timeoutMs: options.shutdownTimeoutMs ?? 15_000 }, 'shutdown timed out');
        exit(1);
      }, options.shutdownTimeoutMs ?? 15_000);
      timer.unref();
      let code = 0;
      try {
        await app.close();
      } catch (error) {
        code = 1;
        app.log.error({ err: error }, 'closing the HTTP server failed');
      }
      for (const [index, step] of (options.onClose ?? []).entries()) {
        const name = stepName(step, index);
        try {
          await (typeof step === 'function' ? step() : step.close());
          app.log.info({ step: name }, 'closed');
        } catch (error) {
          code = 1;
          app.log.error({ err: error, step: name }, 'close step failed');
        }
      }
      clearTimeout(timer);
      for (const [signal, handler] of handlers) process.off(signal, handler);
      app.log.info({ code }, 'stopped');
      exit(code);
      return code;
    })();
    return shuttingDown;
  };

  for (const signal of signals) {
    const handler = () => {
      if (shuttingDown) {
        app.log.warn({ signal }, 'second signal during shutdown; exiting now');
        exit(1);
        return;
      }
      void shutdown(signal);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  // Signal handlers first, then listen: a signal that arrives as soon as the service says it listens
  // (a supervisor, a test) must find the graceful path, not the default action that kills at once.
  const address = await app.listen({ port: options.port, host: options.host ?? '0.0.0.0' });
  app.log.info({ address }, 'listening');
  return { address, shutdown };
}
