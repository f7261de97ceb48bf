import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { importLines } from '../src/import/service.js';
import { authFor, testApp } from './support/app.js';
import { DIALECTS, createTestDb, type TestDb } from './support/db.js';

const fixture = readFileSync(new URL('./fixtures/seed-example.ndjson', import.meta.url), 'utf8').trim().split('\n');

describe.each(DIALECTS)('seed example round-trip (%s)', (dialect) => {
  let t: TestDb;
  let app: FastifyInstance;
  beforeAll(async () => {
    t = await createTestDb(dialect);
    await importLines(t.db, fixture);
    app = await testApp(t.db);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  it('gives back the same order JSON with its refs', async () => {
    const auth = await authFor(t.db, '5b04229196c055000d87c2b5');
    const res = await app.inject({ url: '/v2/resources/orders', headers: { authorization: auth } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const order = (JSON.parse(fixture[3]!) as { order: unknown }).order;
    expect(body.data).toEqual([order]);
    expect(body.pagination).toEqual({ page: 1, page_size: 50, total: 1 });
    expect(body.refs.events).toEqual({ '5d31fbdd27649b0dff076117': JSON.parse(fixture[2]!).event });
    expect(body.refs.partners).toEqual({
      '5b04229196c055000d87c2b5': { id: '5b04229196c055000d87c2b5', name: 'My best org' },
      '5b02d6e9517565000d9cb1ce': { id: '5b02d6e9517565000d9cb1ce', name: 'Rasp new' },
    });
  });
});
