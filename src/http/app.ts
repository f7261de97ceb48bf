import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
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
    /** The authenticated partner; set for every /v2 route. */
    partnerId: string;
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
  const orders = new OrdersService(new OrdersRepository(db.kysely));
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
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  downloadRoute(app, exports);

  await app.register(async (v2) => {
    v2.addHook('onRequest', async (request) => {
      request.partnerId = await keys.authenticate(request.headers.authorization);
    });
    orderRoutes(v2, orders);
    exportRoutes(v2, exports);
  });

  return app;
}
