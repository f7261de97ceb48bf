import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { OrdersPage } from '../../src/orders/schemas.js';

export const ORDERS_URL = '/v2/resources/orders';

export interface ErrorBodyJson {
  error: string;
  reason: string;
  errors: string[];
}

/**
 * GET /v2/resources/orders with a raw query string, sent exactly as written
 * (so a test controls the encoding, e.g. an unencoded '+').
 */
export async function getOrders(app: FastifyInstance, auth: string | undefined, query = ''): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'GET',
    url: query === '' ? ORDERS_URL : `${ORDERS_URL}?${query}`,
    headers: auth === undefined ? {} : { authorization: auth },
  });
}

/** Asserts a 200 list response and returns its body. */
export async function listOk(app: FastifyInstance, auth: string, query = ''): Promise<OrdersPage> {
  const res = await getOrders(app, auth, query);
  expect(res.statusCode, `${query} -> ${res.body}`).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json\b/);
  return res.json<OrdersPage>();
}

/** Asserts the error body shape of SPEC §6 and returns it. */
export function expectErrorBody(res: LightMyRequestResponse, status: number, code: string): ErrorBodyJson {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json\b/);
  const body = res.json<ErrorBodyJson>();
  expect(Object.keys(body).sort()).toEqual(['error', 'errors', 'reason']);
  expect(body.error).toBe(code);
  expect(typeof body.reason).toBe('string');
  expect(body.reason.length).toBeGreaterThan(0);
  expect(Array.isArray(body.errors)).toBe(true);
  expect(body.errors.length).toBeGreaterThan(0);
  for (const e of body.errors) expect(typeof e).toBe('string');
  if (body.errors.length === 1) expect(body.reason).toBe(body.errors[0]);
  // §6: no stack traces or SQL in any error body.
  expect(res.body).not.toMatch(/\bat .+\.[jt]s:\d+|select |SQLITE|syntax error/i);
  return body;
}

/** Asserts a 400 invalid_request response and returns the body. */
export async function listBad(app: FastifyInstance, auth: string, query: string): Promise<ErrorBodyJson> {
  const res = await getOrders(app, auth, query);
  return expectErrorBody(res, 400, 'invalid_request');
}

export function ids(page: OrdersPage): string[] {
  return page.data.map((o) => o.id);
}
