import { createReadStream } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ListQuery } from '../orders/routes.js';
import { ErrorBody } from '../orders/schemas.js';
import type { ExportsService } from './service.js';

const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] });
const NullableInteger = Type.Unsafe<number | null>({ type: ['integer', 'null'] });
const StringOrList = (description: string) => Type.Union([Type.String(), Type.Array(Type.String())], { description });
const Any = (description: string) => Type.Unsafe<unknown>({ description });

export const ExportSchema = Type.Object(
  {
    id: Type.String(),
    status: Type.Unsafe<string>({ type: 'string', enum: ['queued', 'running', 'sent', 'failed'] }),
    email: Type.String(),
    format: Type.Unsafe<string>({ type: 'string', enum: ['xlsx', 'csv'] }),
    lang: Type.Unsafe<string>({ type: 'string', enum: ['ru', 'en'] }),
    tz: Type.String(),
    filters: Type.Object(
      {
        created_at: Type.Optional(Type.String()),
        status: Type.Optional(Type.Array(Type.String())),
        events: Type.Optional(Type.Array(Type.String())),
        only_with_customer: Type.Optional(Type.Boolean()),
      },
      { description: 'The filters as given, normalised' },
    ),
    orders: NullableInteger,
    tickets: NullableInteger,
    attempts: Type.Integer(),
    error: NullableString,
    created_at: Type.String(),
    started_at: NullableString,
    finished_at: NullableString,
  },
  { title: 'Export' },
);

const ExportQuery = Type.Object(
  {
    ...ListQuery.properties,
    email: Type.Optional(StringOrList('Required (here or in the body): the address that receives the file')),
    format: Type.Optional(StringOrList('xlsx (default) or csv')),
    lang: Type.Optional(StringOrList('ru (default) or en: language of the e-mail and the column headers')),
    tz: Type.Optional(StringOrList('IANA time zone of the timestamps in the file (default UTC)')),
  },
  { additionalProperties: true },
);

const ExportBody = Type.Object(
  {
    created_at: Type.Optional(Any('FROM,TO as in the list')),
    status: Type.Optional(Any('array of statuses or a comma string')),
    events: Type.Optional(Any('array of event ids or a comma string')),
    only_with_customer: Type.Optional(Any('boolean, or "true"/"false"/"1"/"0"')),
    email: Type.Optional(Any('the address that receives the file')),
    format: Type.Optional(Any('xlsx (default) or csv')),
    lang: Type.Optional(Any('ru (default) or en')),
    tz: Type.Optional(Any('IANA time zone, default UTC')),
  },
  { additionalProperties: true, description: 'Any field may also come in the query string; the body wins for a field given in both.' },
);

export const EXPORTS_PATH = '/v2/resources/orders/exports';

/** Routes that need an API key (registered inside the authenticated scope). */
export function exportRoutes(app: FastifyInstance, service: ExportsService): void {
  // A POST with `Content-Type: application/json` and no body is a request
  // with only query parameters, not malformed JSON.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  // Only JSON bodies: a text/plain body is a 415, like any other media type.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, {});
    void json(request, text, done);
  });

  app.post(
    '/v2/resources/orders/export',
    {
      // No body at all (only query parameters) is an empty set of body fields.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        summary: 'Export orders to e-mail',
        description:
          'Queues an export of every order matching the filters; the file (xlsx or csv) arrives by e-mail. The export is stored before the response. Idempotency-Key (24 h) returns the same export for the same parameters.',
        tags: ['exports'],
        security: [{ apiKey: [] }],
        querystring: ExportQuery,
        body: ExportBody,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }, { additionalProperties: true }),
        response: {
          200: { description: 'Queued: empty body, Location names the export', type: 'string', maxLength: 0 },
          400: ErrorBody,
          401: ErrorBody,
          409: ErrorBody,
          413: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const { id, created } = await service.request(request.partnerId, {
        query: request.query as Record<string, unknown>,
        body: request.body,
        idempotencyKey: Array.isArray(key) ? key.join(',') : key,
      });
      void reply.header('Location', `${EXPORTS_PATH}/${id}`);
      if (!created) void reply.header('Idempotent-Replayed', 'true');
      return reply.code(200).type('text/html; charset=UTF-8').send('');
    },
  );

  app.get(
    EXPORTS_PATH,
    {
      schema: {
        summary: "The caller's exports, newest first",
        tags: ['exports'],
        security: [{ apiKey: [] }],
        querystring: Type.Object(
          { page: ListQuery.properties.page, page_size: ListQuery.properties.page_size },
          { additionalProperties: true },
        ),
        response: {
          200: Type.Object({
            data: Type.Array(ExportSchema),
            pagination: Type.Object({ page: Type.Integer(), page_size: Type.Integer(), total: Type.Integer() }),
          }),
          400: ErrorBody,
          401: ErrorBody,
        },
      },
    },
    async (request) => service.list(request.partnerId, request.query as Record<string, unknown>),
  );

  app.get(
    `${EXPORTS_PATH}/:id`,
    {
      schema: {
        summary: 'One export and its state',
        tags: ['exports'],
        security: [{ apiKey: [] }],
        params: Type.Object({ id: Type.String() }),
        response: { 200: ExportSchema, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => service.get(request.partnerId, (request.params as { id: string }).id),
  );
}

/** The download link of a large export: the token in the URL is the capability, no API key. */
export function downloadRoute(app: FastifyInstance, service: ExportsService): void {
  app.get(
    `${EXPORTS_PATH}/:id/file`,
    {
      schema: {
        summary: 'Download a large export (link from the e-mail)',
        tags: ['exports'],
        params: Type.Object({ id: Type.String() }),
        querystring: Type.Object({ token: Type.Optional(StringOrList('capability token from the e-mail')) }, { additionalProperties: true }),
        response: { 404: ErrorBody, 410: ErrorBody },
      },
    },
    async (request, reply) => {
      const file = await service.download((request.params as { id: string }).id, (request.query as { token?: unknown }).token);
      const ascii = file.name.replace(/[^\x20-\x7e]|["\\]/g, '_');
      return reply
        .header('Content-Type', file.type)
        .header('Content-Length', String(file.size))
        .header('Content-Disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}`)
        .header('Cache-Control', 'private, no-store')
        .send(createReadStream(file.path));
    },
  );
}
