/**
 * Schema migrations, kept in code (not files) so that `dist/` is
 * self-contained. Each migration may branch on the dialect where SQLite and
 * PostgreSQL index features differ.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Db, Dialect } from './database.js';

function migrations(dialect: Dialect): Record<string, Migration> {
  const pg = dialect === 'postgres';
  return {
    '0001_core': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('partners')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('events')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('org_id', 'text', (c) => c.notNull())
          .addColumn('title_text', 'text', (c) => c.notNull())
          .addColumn('title_desc', 'text')
          .addColumn('start_at', 'bigint', (c) => c.notNull())
          .addColumn('finish_at', 'bigint', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('timezone', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('orders')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('number', 'bigint', (c) => c.notNull().unique())
          .addColumn('code', 'text')
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('done_at', 'bigint')
          .addColumn('expired_after', 'bigint', (c) => c.notNull())
          .addColumn('event_id', 'text', (c) => c.notNull())
          .addColumn('org_id', 'text', (c) => c.notNull())
          .addColumn('vendor_id', 'text')
          .addColumn('origin', 'text', (c) => c.notNull())
          .addColumn('promocodes', 'text', (c) => c.notNull())
          .addColumn('invitation', 'integer', (c) => c.notNull())
          .addColumn('send_tickets', 'integer', (c) => c.notNull())
          .addColumn('subscribe_agree', 'integer', (c) => c.notNull())
          .addColumn('has_customer', 'integer', (c) => c.notNull())
          .addColumn('customer_name', 'text')
          .addColumn('customer_email', 'text')
          .addColumn('customer_phone', 'text')
          .addColumn('customer_lang', 'text')
          .addColumn('price', 'bigint', (c) => c.notNull())
          .addColumn('discount', 'bigint', (c) => c.notNull())
          .addColumn('nominal', 'bigint', (c) => c.notNull())
          .addColumn('extra', 'bigint', (c) => c.notNull())
          .addColumn('full_value', 'bigint', (c) => c.notNull())
          .addColumn('tickets_count', 'integer', (c) => c.notNull())
          .addColumn('sets_values', 'text', (c) => c.notNull())
          .addColumn('viral_promocodes', 'text', (c) => c.notNull())
          .addColumn('vendor_data', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('tickets')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('order_id', 'text', (c) => c.notNull())
          .addColumn('position', 'integer', (c) => c.notNull())
          .addColumn('number', 'bigint', (c) => c.notNull())
          .addColumn('serial', 'text', (c) => c.notNull())
          .addColumn('barcode', 'text')
          .addColumn('set_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('price', 'bigint', (c) => c.notNull())
          .addColumn('discount', 'bigint', (c) => c.notNull())
          .addColumn('nominal', 'bigint', (c) => c.notNull())
          .addColumn('extra', 'bigint', (c) => c.notNull())
          .addColumn('full_value', 'bigint', (c) => c.notNull())
          .addColumn('seat', 'text')
          .execute();
        // Tickets are always read by order, in import order.
        await db.schema.createIndex('tickets_order').on('tickets').columns(['order_id', 'position']).execute();

        await db.schema
          .createTable('order_access')
          .addColumn('partner_id', 'text', (c) => c.notNull())
          .addColumn('order_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('event_id', 'text', (c) => c.notNull())
          .addColumn('has_customer', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('order_access_pk', ['partner_id', 'order_id'])
          .execute();
        // The list index: one partner's orders newest first. The filter
        // columns ride along so that COUNT(*) and the page's ids are answered
        // from the index alone (INCLUDE on PostgreSQL, trailing key columns on
        // SQLite, which has no INCLUDE).
        if (pg) {
          await sql`create index order_access_list on order_access (partner_id, created_at desc, order_id desc) include (status, event_id, has_customer)`.execute(
            db,
          );
        } else {
          await sql`create index order_access_list on order_access (partner_id, created_at, order_id, status, event_id, has_customer)`.execute(
            db,
          );
        }
        // Event filter: a few events of a big tenant are a small slice; this
        // index reads just that slice, already in list order.
        await db.schema
          .createIndex('order_access_event')
          .on('order_access')
          .columns(['partner_id', 'event_id', 'created_at', 'order_id'])
          .execute();
        // Re-import deletes a changed order's access rows by order id.
        await db.schema.createIndex('order_access_order').on('order_access').column('order_id').execute();

        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('partner_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text')
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('revoked_at', 'bigint')
          .execute();
        await db.schema.createIndex('api_keys_partner').on('api_keys').column('partner_id').execute();
      },
    },
    '0002_exports': {
      async up(db: Kysely<unknown>) {
        // Times in this table are milliseconds: the job queue schedules retries
        // and leases below the second.
        await db.schema
          .createTable('exports')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('partner_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('format', 'text', (c) => c.notNull())
          .addColumn('lang', 'text', (c) => c.notNull())
          .addColumn('tz', 'text', (c) => c.notNull())
          .addColumn('filters', 'text', (c) => c.notNull())
          .addColumn('query', 'text', (c) => c.notNull())
          .addColumn('params_hash', 'text', (c) => c.notNull())
          .addColumn('idempotency_key', 'text')
          .addColumn('orders', 'bigint')
          .addColumn('tickets', 'bigint')
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('max_attempts', 'integer', (c) => c.notNull())
          .addColumn('error', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('run_at', 'bigint', (c) => c.notNull())
          .addColumn('locked_by', 'text')
          .addColumn('locked_until', 'bigint')
          .addColumn('started_at', 'bigint')
          .addColumn('finished_at', 'bigint')
          .addColumn('file_path', 'text')
          .addColumn('file_name', 'text')
          .addColumn('file_type', 'text')
          .addColumn('file_size', 'bigint')
          .addColumn('file_token_hash', 'text')
          .addColumn('file_expires_at', 'bigint')
          .execute();
        // The status endpoints: one partner's exports, newest first; also the rate limit window.
        await db.schema.createIndex('exports_partner').on('exports').columns(['partner_id', 'created_at', 'id']).execute();
        // Claiming: due queued jobs and expired leases.
        await db.schema.createIndex('exports_claim').on('exports').columns(['status', 'run_at']).execute();
        // One live export per (partner, Idempotency-Key); keys older than 24 h are released by setting them null.
        await db.schema
          .createIndex('exports_idempotency')
          .on('exports')
          .columns(['partner_id', 'idempotency_key'])
          .unique()
          .where(sql.ref('idempotency_key'), 'is not', null)
          .execute();
        // Expired download files are looked up by expiry.
        await db.schema.createIndex('exports_file_expiry').on('exports').column('file_expires_at').execute();
      },
    },
    '0003_order_counts': {
      async up(db: Kysely<unknown>) {
        // Pre-aggregated counts for pagination.total (src/orders/counts.ts):
        // per partner, event ('' = every event), calendar month (UTC, start in
        // seconds), status and has_customer. Kept by the import's writes.
        await db.schema
          .createTable('order_counts')
          .addColumn('partner_id', 'text', (c) => c.notNull())
          .addColumn('event_id', 'text', (c) => c.notNull())
          .addColumn('month', 'bigint', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('has_customer', 'integer', (c) => c.notNull())
          .addColumn('n', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('order_counts_pk', ['partner_id', 'event_id', 'month', 'status', 'has_customer'])
          .execute();
        // Backfill from the access rows already there. The month expression
        // must agree with monthStart() in counts.ts (a test checks it).
        const month = pg
          ? sql`extract(epoch from date_trunc('month', to_timestamp(created_at) at time zone 'UTC') at time zone 'UTC')::bigint`
          : sql`cast(strftime('%s', created_at, 'unixepoch', 'start of month') as integer)`;
        await sql`
          insert into order_counts (partner_id, event_id, month, status, has_customer, n)
          select partner_id, event_id, m, status, has_customer, count(*)
            from (select partner_id, event_id, ${month} as m, status, has_customer from order_access) a
           group by partner_id, event_id, m, status, has_customer
          union all
          select partner_id, '', m, status, has_customer, count(*)
            from (select partner_id, ${month} as m, status, has_customer from order_access) a
           group by partner_id, m, status, has_customer`.execute(db);
      },
    },
  };
}

class CodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(migrations(this.dialect));
  }
}

function migrator(db: Db): Migrator {
  return new Migrator({
    db: db.kysely,
    provider: new CodeMigrationProvider(db.dialect),
    migrationTableName: 'kassa_migrations',
    migrationLockTableName: 'kassa_migrations_lock',
  });
}

/** Applies pending migrations; returns the names applied. Throws on failure. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  return applied(await migrator(db).migrateToLatest());
}

/** Migrates up (or down) to the named migration: tests of a migration's backfill. */
export async function migrateTo(db: Db, name: string): Promise<string[]> {
  return applied(await migrator(db).migrateTo(name));
}

function applied({ error, results }: MigrationResultSet): string[] {
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
