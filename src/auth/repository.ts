import type { Kysely, SelectQueryBuilder } from 'kysely';
import { NAMED } from '../db/database.js';
import { StatementCache } from '../db/statements.js';
import type { ApiKeyRow, Database } from '../db/types.js';

export class ApiKeysRepository {
  // once per request: compiled once (db/statements.ts), prepared once per connection (NAMED)
  private readonly activeKey: StatementCache<{ tokenHash: string }, { partner_id: string }>;

  constructor(private readonly db: Kysely<Database>) {
    this.activeKey = new StatementCache(({ tokenHash }) => activeKeys(this.db, tokenHash).select('partner_id').modifyFront(NAMED));
  }

  /** The partner of an active (not revoked) key with this token hash. */
  async activePartnerByHash(tokenHash: string): Promise<string | undefined> {
    const { rows } = await this.db.executeQuery(this.activeKey.compile({ tokenHash }));
    return rows[0]?.partner_id;
  }

  async insert(row: ApiKeyRow): Promise<void> {
    await this.db.insertInto('api_keys').values(row).execute();
  }

  async list(partnerId?: string): Promise<Omit<ApiKeyRow, 'token_hash'>[]> {
    let q = this.db
      .selectFrom('api_keys')
      .select(['id', 'partner_id', 'name', 'created_at', 'revoked_at'])
      .orderBy('created_at')
      .orderBy('id');
    if (partnerId !== undefined) q = q.where('partner_id', '=', partnerId);
    return q.execute();
  }

  /** Returns false when no such key exists. Revoking twice keeps the first time. */
  async revoke(keyId: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(at)) }))
      .where('id', '=', keyId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async partnerExists(partnerId: string): Promise<boolean> {
    const row = await this.db.selectFrom('partners').select('id').where('id', '=', partnerId).executeTakeFirst();
    return row !== undefined;
  }
}

/**
 * The active (not revoked) keys with this token hash: at most one. Also
 * used inside another repository's read-only statement, `exists(...)` with
 * the partner it reads for, so that the statement confirms the key itself
 * (ApiKeysService.readAs) rather than a statement of its own.
 */
export function activeKeys(db: Kysely<Database>, tokenHash: string): SelectQueryBuilder<Database, 'api_keys', object> {
  return db.selectFrom('api_keys').where('api_keys.token_hash', '=', tokenHash).where('api_keys.revoked_at', 'is', null);
}
