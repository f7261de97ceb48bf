/**
 * Prometheus metrics (GET /metrics). One registry per process; the export
 * job gauge is read from the database at scrape time, so any API node shows
 * the whole fleet's queue, while e-mail counters count this process's sends.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  emails: Counter<'result'>;
  exportJobs: Gauge<'state'>;
}

export function createMetrics(jobCounts?: () => Promise<Record<string, number>>): Metrics {
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
    async collect() {
      if (!jobCounts) return;
      const counts = await jobCounts();
      for (const state of ['queued', 'running', 'sent', 'failed']) this.set({ state }, counts[state] ?? 0);
    },
  });
  return { registry, httpRequests, httpDuration, emails, exportJobs };
}
