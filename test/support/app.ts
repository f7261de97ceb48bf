import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { ApiKeysRepository } from '../../src/auth/repository.js';
import { ApiKeysService } from '../../src/auth/service.js';
import { buildApp } from '../../src/http/app.js';
import { importLines } from '../../src/import/service.js';
import type { Db } from '../../src/db/database.js';

export async function testApp(db: Db): Promise<FastifyInstance> {
  const app = await buildApp({ db, logger: pino({ level: 'silent' }) });
  await app.ready();
  return app;
}

export function keysService(db: Db): ApiKeysService {
  return new ApiKeysService(new ApiKeysRepository(db.kysely));
}

/** Creates a key for the partner and returns the Authorization header value. */
export async function authFor(db: Db, partnerId: string): Promise<string> {
  const { token } = await keysService(db).create(partnerId, 'test');
  return `key ${token}`;
}

export async function importNdjson(db: Db, objects: unknown[]): Promise<void> {
  await importLines(
    db,
    objects.map((o) => JSON.stringify(o)),
  );
}
