import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.js';
import pino from 'pino';
import { ApiKeysRepository } from '../../src/auth/repository.js';
import { ApiKeysService } from '../../src/auth/service.js';
import { buildApp } from '../../src/http/app.js';
import { importLines } from '../../src/import/service.js';
import type { Db } from '../../src/db/database.js';

/** Configuration as a deployment would have it, from an environment given here (never the real one). */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: mkdtempSync(join(tmpdir(), 'kassa-data-')), ...env });
}

export async function testApp(db: Db, options: { config?: Config; onExportQueued?: () => void } = {}): Promise<FastifyInstance> {
  const app = await buildApp({
    db,
    logger: pino({ level: 'silent' }),
    config: options.config ?? testConfig(),
    ...(options.onExportQueued ? { onExportQueued: options.onExportQueued } : {}),
  });
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
