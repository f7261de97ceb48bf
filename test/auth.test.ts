/**
 * Authentication of GET /v2/resources/orders (SPEC §2, §6).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/auth/tokens.js';
import { keysService, testApp } from './support/app.js';
import { Dataset } from './support/builders.js';
import { DIALECTS, createTestDb, type TestDb } from './support/db.js';
import { expectErrorBody, getOrders, listOk } from './support/http.js';

const ds = new Dataset('c3');
const org = ds.partner('Auth org');
const event = ds.event(org);
const order = ds.order({ event });
const other = ds.partner('Auth other org');
const otherOrder = ds.order({ event: ds.event(other) });

describe.each(DIALECTS)('authentication (%s)', (dialect) => {
  let t: TestDb;
  let app: FastifyInstance;
  let token: string;
  let revokedToken: string;

  beforeAll(async () => {
    t = await createTestDb(dialect);
    await ds.load(t.db);
    app = await testApp(t.db);
    const keys = keysService(t.db);
    token = (await keys.create(org.id, 'live')).token;
    const revoked = await keys.create(org.id, 'revoked');
    revokedToken = revoked.token;
    await keys.revoke(revoked.id);
  });
  afterAll(async () => {
    await app?.close();
    await t?.drop();
  });

  function expect401(res: Awaited<ReturnType<typeof getOrders>>): void {
    expectErrorBody(res, 401, 'unauthorized');
    expect(res.headers['www-authenticate']).toBe('key');
    expect(res.body).not.toContain(order.id);
    expect(res.body).not.toContain(token);
  }

  it('a valid key lists the partner\'s orders', async () => {
    const page = await listOk(app, `key ${token}`);
    expect(page.data.map((o) => o.id)).toEqual([order.id]);
  });

  it('missing Authorization header → 401', async () => {
    expect401(await getOrders(app, undefined));
  });

  it.each<[string, () => string]>([
    ['empty header', () => ''],
    ['blank header', () => '   '],
    ['wrong scheme Bearer x', () => 'Bearer x'],
    ['wrong scheme with a valid token', () => `Bearer ${token}`],
    ['Basic scheme', () => `Basic ${Buffer.from(`user:${token}`).toString('base64')}`],
    ['scheme without a token', () => 'key'],
    ['scheme and blanks only', () => 'key   '],
    ['token without a scheme', () => token],
    ['scheme glued to the token', () => `key${token}`],
    ['two tokens', () => `key ${token} ${token}`],
    ['malformed token: too short', () => 'key abc'],
    ['malformed token: 31 characters', () => `key ${token.slice(1)}`],
    ['malformed token: 33 characters', () => `key ${token}a`],
    ['malformed token: uppercase', () => `key ${token.toUpperCase()}`],
    ['malformed token: punctuation', () => `key ${token.slice(0, 31)}!`],
    ['unknown token of the right shape', () => `key ${'a'.repeat(32)}`],
    ['unknown token: the hash of the token', () => `key ${hashToken(token).slice(0, 32)}`],
    ['revoked key', () => `key ${revokedToken}`],
  ])('%s → 401 with WWW-Authenticate: key and the error body', async (_name, header) => {
    expect401(await getOrders(app, header()));
  });

  it.each(['KEY', 'Key', 'kEy', 'key'])('the scheme is case-insensitive: %s', async (scheme) => {
    const page = await listOk(app, `${scheme} ${token}`);
    expect(page.pagination.total).toBe(1);
  });

  it('blanks around the header value and between scheme and token are tolerated', async () => {
    const page = await listOk(app, `  key \t ${token}  `);
    expect(page.pagination.total).toBe(1);
  });

  it('authentication comes before parameter validation (no 400 for an anonymous caller)', async () => {
    expect401(await getOrders(app, undefined, 'page_size=0&status=paid'));
    expect401(await getOrders(app, `key ${revokedToken}`, 'page_size=0&status=paid'));
  });

  it('revoking a key stops it at once; other keys of the partner keep working', async () => {
    const keys = keysService(t.db);
    const k = await keys.create(org.id, 'short-lived');
    await listOk(app, `key ${k.token}`);
    await keys.revoke(k.id);
    expect401(await getOrders(app, `key ${k.token}`));
    await listOk(app, `key ${token}`);
  });

  // The list reads ahead for a key it has seen, while the key is checked
  // (ApiKeysService.readAs): the check still decides, before anything is sent.
  it('a key seen before and revoked since: 401 even when the read ahead succeeded or failed, never its data', async () => {
    const keys = keysService(t.db);
    const k = await keys.create(org.id, 'seen');
    await listOk(app, `key ${k.token}`);
    expectErrorBody(await getOrders(app, `key ${k.token}`, 'page_size=0'), 400, 'invalid_request');
    await keys.revoke(k.id);
    expect401(await getOrders(app, `key ${k.token}`));
    expect401(await getOrders(app, `key ${k.token}`, 'page_size=0'));
    // and again, now that it is no longer remembered
    expect401(await getOrders(app, `key ${k.token}`));
  });

  // The remembered partner is only a guess: the page's own statement checks
  // the key for that partner, and a mismatch is decided by a lookup.
  it('a key seen before whose row now names another partner: that partner\'s page, never the remembered one\'s', async () => {
    const k = await keysService(t.db).create(org.id, 'moved');
    expect((await listOk(app, `key ${k.token}`)).data.map((o) => o.id)).toEqual([order.id]);
    await t.db.kysely.updateTable('api_keys').set({ partner_id: other.id }).where('id', '=', k.id).execute();
    expect((await listOk(app, `key ${k.token}`)).data.map((o) => o.id)).toEqual([otherOrder.id]);
    expect((await listOk(app, `key ${k.token}`)).data.map((o) => o.id)).toEqual([otherOrder.id]);
  });

  it('an unknown key and a revoked key get the same answer, naming no partner', async () => {
    const unknown = (await getOrders(app, `key ${'b'.repeat(32)}`)).json<{ reason: string }>();
    const revoked = (await getOrders(app, `key ${revokedToken}`)).json<{ reason: string }>();
    expect(revoked).toEqual(unknown);
    expect(JSON.stringify(revoked)).not.toContain(org.id);
  });
});
