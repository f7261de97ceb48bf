/**
 * Prometheus metrics (GET /metrics). One registry per process; the export
 * job gauge is read from the database at scrape time, so any API node shows
 * the whole fleet's queue, while e-mail counters count this process's sends.
 * The processes of one `kassa serve --processes N` answer as one: a scrape
 * reaching any of them returns the sum over all of them (clusterScrape).
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isMessage } from './shared/messages.js';

export interface Metrics {
  registry: Registry;
  /** The text GET /metrics answers: this process's registry, or in a cluster the sum over its processes. */
  scrape: () => Promise<string>;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  emails: Counter<'result'>;
  exportJobs: Gauge<'state'>;
}

/**
 * `clustered`: this is one API process of a `serve --processes N` cluster;
 * its metrics are summed with the others' by the primary (answerClusterScrapes).
 */
export function createMetrics(jobCounts?: () => Promise<Record<string, number>>, clustered = false): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kassa_' });
  const httpRequests = new Counter({
    name: 'kassa_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'kassa_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const emails = new Counter({
    name: 'kassa_export_emails_total',
    help: 'Export e-mails handed to SMTP (or the outbox) by this process: sent, or failed for good',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const exportJobs = new Gauge({
    name: 'kassa_export_jobs',
    help: 'Export jobs in the database by state',
    labelNames: ['state'] as const,
    registers: [registry],
    // every process reads the same database: one reading, not their sum
    aggregator: 'first',
    async collect() {
      if (!jobCounts) return;
      const counts = await jobCounts();
      for (const state of ['queued', 'running', 'sent', 'failed']) this.set({ state }, counts[state] ?? 0);
    },
  });
  const scrape = clustered ? clusterScrape(registry) : () => registry.metrics();
  return { registry, scrape, httpRequests, httpDuration, emails, exportJobs };
}

// A scrape reaches one process of a cluster (the primary hands out
// connections): that process asks the primary, which collects every ready
// process's registry over the cluster's IPC channel and answers with their
// sum (prom-client's AggregatorRegistry.aggregate: counters and histograms
// added, gauges by their `aggregator`). Only processes that listen are asked
// (answerClusterScrapes' `ready`): one still starting has no registry yet and
// would leave the scrape waiting for nothing.
const SCRAPE = 'kassa:scrape';
const SCRAPED = 'kassa:scraped';
const COLLECT = 'kassa:collect';
const COLLECTED = 'kassa:collected';
/** How long the primary waits for the processes' registries. */
const COLLECT_TIMEOUT_MS = 5000;
/** How long an API process waits for the primary's sum (longer than the primary's own wait). */
const SCRAPE_TIMEOUT_MS = 10_000;

interface Request<T extends string> {
  type: T;
  id: number;
}
interface ScrapeAnswer extends Request<typeof SCRAPED> {
  text?: string;
  error?: string;
}
interface CollectAnswer extends Request<typeof COLLECTED> {
  metrics?: object[];
  error?: string;
}

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** In an API process of a cluster: answers the primary's collections, and returns the scrape that asks the primary. */
function clusterScrape(registry: Registry): () => Promise<string> {
  let nextId = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  const send = (message: ScrapeAnswer | CollectAnswer | Request<typeof SCRAPE>) => {
    if (process.connected) process.send!(message);
  };
  process.on('message', (message: unknown) => {
    if (isMessage<Request<typeof COLLECT>>(message, COLLECT)) {
      const { id } = message;
      registry.getMetricsAsJSON().then(
        (metrics) => send({ type: COLLECTED, id, metrics }),
        (err: unknown) => send({ type: COLLECTED, id, error: reason(err) }),
      );
      return;
    }
    if (!isMessage<ScrapeAnswer>(message, SCRAPED)) return;
    const pending = waiting.get(message.id);
    if (!pending) return;
    waiting.delete(message.id);
    clearTimeout(pending.timer);
    if (message.text !== undefined) pending.resolve(message.text);
    else pending.reject(new Error(`collecting the cluster's metrics failed: ${message.error ?? 'no answer'}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error("the primary process did not answer with the cluster's metrics"));
      }, SCRAPE_TIMEOUT_MS);
      waiting.set(id, { resolve, reject, timer });
      send({ type: SCRAPE, id });
    });
}

/**
 * In the primary of a cluster: answers its API processes' scrape requests
 * with the sum over the processes `ready` accepts (those that listen).
 */
export function answerClusterScrapes(ready: (worker: Worker) => boolean): void {
  let nextId = 0;
  const collections = new Map<number, { waiting: Set<Worker>; parts: object[][]; finish: (err?: Error) => void }>();

  const collect = () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected() && ready(w));
      const parts: object[][] = [];
      const timer = setTimeout(() => finish(new Error(`an API process did not send its metrics within ${COLLECT_TIMEOUT_MS} ms`)), COLLECT_TIMEOUT_MS);
      const finish = (err?: Error) => {
        if (!collections.delete(id)) return;
        clearTimeout(timer);
        if (err) return reject(err);
        AggregatorRegistry.aggregate(parts).metrics().then(resolve, reject);
      };
      collections.set(id, { waiting: new Set(workers), parts, finish });
      if (workers.length === 0) return finish();
      for (const worker of workers) worker.send({ type: COLLECT, id } satisfies Request<typeof COLLECT>);
    });

  cluster.on('message', (worker, message: unknown) => {
    if (isMessage<CollectAnswer>(message, COLLECTED)) {
      const collection = collections.get(message.id);
      if (!collection?.waiting.delete(worker)) return;
      if (message.metrics === undefined) return collection.finish(new Error(message.error ?? 'no metrics'));
      collection.parts.push(message.metrics);
      if (collection.waiting.size === 0) collection.finish();
      return;
    }
    if (!isMessage<Request<typeof SCRAPE>>(message, SCRAPE)) return;
    const { id } = message;
    const answer = (a: Omit<ScrapeAnswer, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: SCRAPED, id, ...a } satisfies ScrapeAnswer);
    };
    collect().then(
      (text) => answer({ text }),
      (err: unknown) => answer({ error: reason(err) }),
    );
  });
  // a process that dies during a collection is left out of it
  cluster.on('exit', (worker) => {
    for (const collection of collections.values()) {
      if (collection.waiting.delete(worker) && collection.waiting.size === 0) collection.finish();
    }
  });
}
