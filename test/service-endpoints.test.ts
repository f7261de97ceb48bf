import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './support/app.js';
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
});
