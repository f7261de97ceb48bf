/**
 * `kassa serve --processes N`: N API processes on one port (node:cluster).
 *
 * Why: one Node.js process runs the API's JavaScript on one core. On SQLite
 * that, not the database, bounds throughput under concurrent load: on the
 * 2-core bench machine two processes answered ~1.65× the requests of one
 * (docs/BENCHMARKS.md). The primary serves nothing itself: it starts the
 * processes (each a whole `kassa serve`, its export worker included unless
 * --no-worker: the job queue is safe for many workers), starts another when
 * one dies, sums their metrics for GET /metrics, and on SIGTERM/SIGINT tells
 * each to shut down as a single `serve` does, then returns once all have.
 */
import cluster, { type Address, type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { answerClusterScrapes } from '../metrics.js';
import { isMessage } from '../shared/messages.js';

const STOP = 'kassa:stop';
/** A process that exits sooner than this after it started counts as failing to start. */
const EARLY_EXIT_MS = 10_000;
/** After this many early exits in a row the primary gives up: a broken setup, not a crash now and then. */
const MAX_EARLY_EXITS = 3;
/** Pause before replacing a process that exited early, so a broken setup does not spin. */
const RESTART_DELAY_MS = 1000;

function urlOf(address: Address): string {
  const host = address.address === null || address.address === '' ? 'localhost' : address.address;
  const shown = host === '::1' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${address.port}`;
}

/** Runs `processes` API processes (this program, re-run by node:cluster) until SIGTERM/SIGINT. */
export function runCluster(processes: number, logger: Logger): Promise<void> {
  const startedAt = new Map<Worker, number>();
  /** processes that listen: they have their stop and metrics listeners (commands.ts serve) */
  const listened = new WeakSet<Worker>();
  answerClusterScrapes((worker) => listened.has(worker));
  const start = () => startedAt.set(cluster.fork(), Date.now());

  return new Promise((resolve, reject) => {
    let stopping = false;
    let failure: Error | undefined;
    let earlyExits = 0;
    let listening = 0;
    const restarts = new Set<NodeJS.Timeout>();

    const finish = () => (failure ? reject(failure) : resolve());
    const stopAll = () => {
      if (stopping) return;
      stopping = true;
      for (const timer of restarts) clearTimeout(timer);
      if (startedAt.size === 0) return finish();
      // A message rather than a signal: a process stops once however many
      // times it is told, while a second SIGTERM would end it mid-shutdown.
      // One still starting may not listen for messages yet: SIGTERM, which
      // ends it at once or, once serve() is running, stops it when it is up.
      for (const worker of startedAt.keys()) {
        if (listened.has(worker) && worker.isConnected()) worker.send({ type: STOP });
        else worker.process.kill('SIGTERM');
      }
    };

    cluster.on('listening', (worker, address) => {
      listened.add(worker);
      listening += 1;
      if (listening === processes) logger.info({ url: urlOf(address), processes }, 'kassa is listening');
      else if (listening > processes) logger.info({ apiProcess: worker.process.pid }, 'replacement API process is listening');
    });

    cluster.on('exit', (worker, code, signal) => {
      const lived = Date.now() - (startedAt.get(worker) ?? 0);
      startedAt.delete(worker);
      if (stopping) {
        if (startedAt.size === 0) finish();
        return;
      }
      earlyExits = lived < EARLY_EXIT_MS ? earlyExits + 1 : 0;
      if (earlyExits >= MAX_EARLY_EXITS) {
        logger.fatal({ apiProcess: worker.process.pid, code, signal }, 'API processes keep exiting right after they start; stopping');
        failure = new Error(`API processes exited ${earlyExits} times in a row right after starting (see the log)`);
        stopAll();
        return;
      }
      logger.error({ apiProcess: worker.process.pid, code, signal }, 'an API process exited; starting another');
      if (earlyExits === 0) return start();
      const timer = setTimeout(() => {
        restarts.delete(timer);
        start();
      }, RESTART_DELAY_MS);
      restarts.add(timer);
    });

    const onSignal = (signal: string) => {
      logger.info({ signal, processes: startedAt.size }, 'shutting down');
      stopAll();
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));

    for (let i = 0; i < processes; i++) start();
  });
}

/**
 * In an API process of a cluster: resolves when the primary says to stop,
 * when the primary is gone, or on SIGTERM sent to this process alone (the
 * primary then starts another). SIGINT is left to the primary: a terminal's
 * Ctrl-C reaches every process of the group, and the primary then tells each.
 */
export function untilToldToStop(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let stopped = false;
    const stop = (reason: string) => {
      if (stopped) return;
      stopped = true;
      logger.info({ reason }, 'shutting down');
      resolve();
    };
    process.on('message', (message: unknown) => {
      if (isMessage<{ type: typeof STOP }>(message, STOP)) stop('told by the primary');
    });
    process.once('disconnect', () => stop('the primary process is gone'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => undefined);
  });
}
