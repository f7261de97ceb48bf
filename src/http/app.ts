import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ApiKeysRepository } from '../auth/repository.js';
import { ApiKeysService } from '../auth/service.js';
import { ping, type Db } from '../db/database.js';
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
  bodyLimit?: number;
}

export async function buildApp({ db, logger, bodyLimit = 64 * 1024 }: AppOptions): Promise<FastifyInstance> {
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

  await app.register(async (v2) => {
    v2.addHook('onRequest', async (request) => {
      request.partnerId = await keys.authenticate(request.headers.authorization);
    });
    orderRoutes(v2, orders);
  });

  return app;
}
