import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiKeysRepository } from '../auth/repository.js';
import { ApiKeysService } from '../auth/service.js';
import { ping, type Db } from '../db/database.js';
import type { Config } from '../config.js';
import { ExportsRepository } from '../exports/repository.js';
import { downloadRoute, exportRoutes } from '../exports/routes.js';
import { ExportsService } from '../exports/service.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { OrdersRepository } from '../orders/repository.js';
import { orderRoutes } from '../orders/routes.js';
import { OrdersService } from '../orders/service.js';
import { clientErrorHandler, frameworkErrors, installErrorHandling, sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated partner; set for every /v2 route but those that check the key themselves. */
    partnerId: string;
  }
  interface FastifyContextConfig {
    /** the route checks the API key itself (ApiKeysService.readAs), not the /v2 hook */
    checksKeyItself?: boolean;
  }
}

export interface AppOptions {
  db: Db;
  logger: Logger;
  config: Config;
  /** shared with an in-process worker so /metrics shows its e-mails */
  metrics?: Metrics;
  /** called when an export is queued (wakes an in-process worker) */
  onExportQueued?: () => void;
  bodyLimit?: number;
}

export async function buildApp({ db, logger, config, metrics: given, onExportQueued, bodyLimit = 64 * 1024 }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit,
    routerOptions: { ignoreTrailingSlash: true },
    // 64 KiB of request line and headers: room for a list of 1000 event ids.
    http: { maxHeaderSize: 64 * 1024 },
    frameworkErrors,
    clientErrorHandler,
  }) as unknown as FastifyInstance;

  installErrorHandling(app);
  waitForHandlersOnClose(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kassa orders API',
        version: '2.0.0',
        description: 'Orders of an event-ticketing platform: the paginated, filtered list and its export to e-mail.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Authorization: key <token>' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const keys = new ApiKeysService(new ApiKeysRepository(db.kysely));
  const orders = new OrdersService(new OrdersRepository(db.lists, db.dialect, db.pipeline));
  const exportsRepository = new ExportsRepository(db);
  const exports = new ExportsService(exportsRepository, config.exports, onExportQueued);
  const metrics = given ?? createMetrics(() => exportsRepository.countsByStatus());

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.decorateRequest('partnerId', '');

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (request, reply) => {
    try {
      await ping(db);
      return { status: 'ok' };
    } catch (err) {
      request.log.warn({ err }, 'database not reachable');
      return sendError(reply, 503, 'internal', 'the database is not reachable');
    }
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.scrape()),
  );
  downloadRoute(app, exports);

  await app.register(async (v2) => {
    v2.addHook('onRequest', async (request) => {
      if (request.routeOptions.config.checksKeyItself) return;
      request.partnerId = await keys.authenticate(request.headers.authorization);
    });
    orderRoutes(v2, orders, keys);
    exportRoutes(v2, exports);
  });

  return app;
}

/** The longest close() waits for handlers still running. */
const CLOSE_GRACE_MS = 10_000;

/**
 * close() resolves once the server's connections are gone, but a client that
 * went away leaves its handler running (Fastify calls no onResponse for it).
 * The caller closes the database right after close(): this makes close() wait
 * for those handlers first (onSend: the handler has its answer), so none is
 * cut off mid-query ("driver has already been destroyed").
 */
function waitForHandlersOnClose(app: FastifyInstance): void {
  const running = new Set<FastifyRequest>();
  let allDone: (() => void) | null = null;
  const finished = (request: FastifyRequest) => {
    if (running.delete(request) && running.size === 0) allDone?.();
  };
  app.addHook('onRequest', async (request) => {
    running.add(request);
  });
  app.addHook('onSend', async (request, _reply, payload) => {
    finished(request);
    return payload;
  });
  app.addHook('onResponse', async (request) => finished(request));
  app.addHook('onClose', async () => {
    if (running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (allDone = resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS))),
    ]);
    clearTimeout(timer);
  });
}
