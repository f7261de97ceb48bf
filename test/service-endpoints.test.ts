import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.js';
import { testApp, testConfig } from './support/app.js';
import { DIALECTS, createTestDb, type TestDb } from './support/db.js';

describe.each(DIALECTS)('service endpoints (%s)', (dialect) => {
  let t: TestDb;
  let app: FastifyInstance;
  beforeAll(async () => {
    t = await createTestDb(dialect);
    app = await testApp(t.db);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('healthz and readyz', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok' });
  });

  it('openapi.json is OpenAPI 3.1 generated from the route schemas', async () => {
    const res = await app.inject('/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { parameters: { name: string }[]; responses: Record<string, unknown> }>> };
    expect(doc.openapi).toBe('3.1.0');
    const list = doc.paths['/v2/resources/orders']!.get!;
    expect(list.parameters.map((p) => p.name).sort()).toEqual(['created_at', 'events', 'only_with_customer', 'page', 'page_size', 'status']);
    expect(Object.keys(list.responses)).toEqual(expect.arrayContaining(['200', '400', '401']));
    expect(doc.paths['/healthz']).toBeUndefined();
  });

  it('docs serves an API reference page', async () => {
    let res = await app.inject('/docs');
    if (res.statusCode >= 300 && res.statusCode < 400) res = await app.inject(String(res.headers.location));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('swagger');
  });

  it('unknown routes get the error body', async () => {
    const res2 = await app.inject('/nope');
    expect(res2.statusCode).toBe(404);
    expect(res2.json()).toEqual({ error: 'not_found', reason: 'no route for GET /nope', errors: ['no route for GET /nope'] });
  });

  it('parser-level errors over real HTTP keep the error body; 1000 event ids fit in the URL', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const badUrl = await fetch(`${address}/v2/%ZZ`);
    expect(badUrl.status).toBe(400);
    expect(await badUrl.json()).toEqual({ error: 'invalid_request', reason: 'the URL is malformed', errors: ['the URL is malformed'] });

    const huge = await fetch(`${address}/healthz`, { headers: { 'x-filler': 'a'.repeat(70 * 1024) } });
    expect(huge.status).toBe(431);
    expect(((await huge.json()) as { error: string }).error).toBe('invalid_request');

    const ids = Array.from({ length: 1000 }, (_, i) => i.toString(16).padStart(24, '0')).join(',');
    const many = await fetch(`${address}/v2/resources/orders?events=${ids}`);
    expect(many.status).toBe(401); // got past the parser to authentication
  });

  it('a page number too long to be finite is refused, not a 500', async () => {
    const { authFor } = await import('./support/app.js');
    await t.db.kysely.insertInto('partners').values({ id: 'f00000000000000000000001', name: 'P' }).execute();
    const auth = await authFor(t.db, 'f00000000000000000000001');
    const res = await app.inject({ url: `/v2/resources/orders?page=${'9'.repeat(400)}`, headers: { authorization: auth } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'invalid_request', reason: 'page is too large', errors: ['page is too large'] });
  });

  it('close() waits for a handler whose client went away, so the database is not closed under it', async () => {
    const server = await buildApp({ db: t.db, logger: pino({ level: 'silent' }), config: testConfig() });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    let finished = false;
    server.get('/test/slow', { schema: { hide: true } }, async () => {
      started = true;
      await released;
      await t.db.kysely.selectFrom('partners').select('id').execute(); // the handler still needs the database
      finished = true;
      return { ok: true };
    });
    await server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.server.address() as AddressInfo;
    const client = httpRequest({ host: '127.0.0.1', port, path: '/test/slow' });
    client.on('error', () => undefined);
    client.end();
    for (let i = 0; i < 100 && !started; i++) await new Promise((r) => setTimeout(r, 10));
    expect(started).toBe(true);
    client.destroy(); // the client gives up
    await new Promise((r) => setTimeout(r, 50));

    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(finished).toBe(true);
  });
});
