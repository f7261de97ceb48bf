import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiKeysService } from '../auth/service.js';
import { ErrorBody, OrdersPage } from './schemas.js';
import type { OrdersService } from './service.js';

const JSON_UTF8 = 'application/json; charset=utf-8';

const StringOrList = (description: string) =>
  Type.Union([Type.String(), Type.Array(Type.String())], { description });

/**
 * Query parameters as documented. Each accepts a string or a repeated value so
 * that Fastify never rejects one on its own: the service checks them all and
 * reports every problem at once (SPEC §6).
 */
export const ListQuery = Type.Object(
  {
    created_at: Type.Optional(
      StringOrList(
        'FROM,TO — ISO 8601 date or date-time, either side may be empty; UTC unless an offset is written; both bounds inclusive at the precision written. Example: 2020-01-01,2020-02-01',
      ),
    ),
    status: Type.Optional(StringOrList('Order statuses, comma-separated and/or repeated: executed, in_progress, done, cancelled (or canceled), expired')),
    events: Type.Optional(StringOrList('Event ids, comma-separated and/or repeated')),
    only_with_customer: Type.Optional(StringOrList('true/false (also 1/0, any case): only orders with customer data')),
    page: Type.Optional(StringOrList('Page number, integer ≥ 1 (default 1)')),
    page_size: Type.Optional(StringOrList('Orders per page, 1..200 (default 50)')),
  },
  { additionalProperties: true },
);

export function orderRoutes(app: FastifyInstance, service: OrdersService, keys: ApiKeysService): void {
  app.get(
    '/v2/resources/orders',
    {
      schema: {
        summary: 'List orders',
        description: 'The orders the caller (organiser or vendor) can see, newest first, with the events and partners they refer to.',
        tags: ['orders'],
        security: [{ apiKey: [] }],
        querystring: ListQuery,
        response: { 200: OrdersPage, 400: ErrorBody, 401: ErrorBody },
      },
      // read-only: the page's statements check the key as they read (readAs)
      config: { checksKeyItself: true },
    },
    async (request, reply) => {
      const page = await keys.readAs(request.headers.authorization, (partnerId, keyHash) =>
        service.list(partnerId, request.query as Record<string, unknown>, keyHash),
      );
      // The service writes the page's JSON bytes itself (orders/mappers.ts),
      // not the schema's fast-json-stringify; a Buffer also spares Fastify a
      // byteLength pass over ~75 KB. The property tests check every answer
      // against the OrdersPage schema. (docs/DECISIONS.md)
      return reply.type(JSON_UTF8).send(page);
    },
  );
}
