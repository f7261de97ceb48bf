/**
 * Prometheus metrics (GET /metrics). One registry per process; the export
 * job gauge is read from the database at scrape time, so any API node shows
 * the whole fleet's queue, while e-mail counters count this process's sends.
 * The processes of one `kassa serve --processes N` answer as one: a scrape
 * reaching any of them returns the sum over all of them (clusterScrape).
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
// connections): that process asks the primary, which collects every
// process's registry (prom-client's AggregatorRegistry, over the cluster's
// IPC channel) and answers with their sum.
const SCRAPE = 'kassa:scrape';
const SCRAPED = 'kassa:scraped';
/** How long an API process waits for the primary's sum (prom-client gives up on a silent process after 5 s). */
const SCRAPE_TIMEOUT_MS = 10_000;

interface ScrapeRequest {
  type: typeof SCRAPE;
  id: number;
}
interface ScrapeAnswer {
  type: typeof SCRAPED;
  id: number;
  text?: string;
  error?: string;
}

const isMessage = <T extends { type: string }>(message: unknown, type: T['type']): message is T =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;

function clusterScrape(registry: Registry): () => Promise<string> {
  // answer the primary's collection requests with this registry
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  let nextId = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  process.on('message', (message: unknown) => {
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
      process.send!({ type: SCRAPE, id } satisfies ScrapeRequest);
    });
}

/** In the primary of a cluster: answers its API processes' scrape requests with the sum over all of them. */
export function answerClusterScrapes(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage<ScrapeRequest>(message, SCRAPE)) return;
    const answer = (a: Omit<ScrapeAnswer, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: SCRAPED, id: message.id, ...a } satisfies ScrapeAnswer);
    };
    aggregator.clusterMetrics().then(
      (text) => answer({ text }),
      (err: unknown) => answer({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
