/**
 * Statements that go to the database together, on one connection: a list
 * request's count and page, then its page's refs. On PostgreSQL they are
 * pipelined (database.ts `sharedPipelines`): written in one send and
 * answered in order by one backend, instead of one connection — one send,
 * one backend woken — per statement; and concurrent requests share a few
 * such connections, so that one wake-up serves several requests' batches.
 * Measured on 1M orders (docs/DECISIONS.md): the bench floor's statements
 * pipelined took 12–23% less CPU a request and answered 14–31% more
 * requests at concurrency 16; sharing the connections, ~15% less again.
 */
import type { CompiledQuery, Kysely } from 'kysely';

/** The rows of each statement of a batch, in the batch's order. */
export type RowsOf<T extends readonly CompiledQuery<unknown>[]> = { -readonly [K in keyof T]: T[K] extends CompiledQuery<infer R> ? R[] : never };

/** One connection's statements, batch after batch. */
export interface Pipeline {
  /** Runs the statements together; rejects with the first failure once all are answered. */
  run<T extends readonly CompiledQuery<unknown>[]>(statements: T): Promise<RowsOf<T>>;
  /** Hands the connection back: once, after the last batch is answered. */
  release(): void;
}

/** Checks out a connection for a pipeline. */
export type OpenPipeline = () => Promise<Pipeline>;

/**
 * A pipeline that runs each statement through `db` as it would run alone:
 * on SQLite one after another on its one connection (synchronous: nothing to
 * pipeline); on PostgreSQL side by side on connections of their own.
 */
export function throughKysely<DB>(db: Kysely<DB>): OpenPipeline {
  const pipeline: Pipeline = {
    run: async <T extends readonly CompiledQuery<unknown>[]>(statements: T) =>
      (await Promise.all(statements.map(async (s) => (await db.executeQuery(s)).rows))) as RowsOf<T>,
    release: () => undefined,
  };
  return () => Promise.resolve(pipeline);
}
