// PostgreSQL datasets of the benchmarks: one database per size, reused while
// it holds the expected number of orders.
import pg from 'pg';

/** 10000 → '10k', 1000000 → '1m': the size part of a dataset's name. */
export const sizeLabel = (n) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}m` : `${n / 1000}k`);

/**
 * The database `name` on the server `base`: reused when it holds exactly
 * `orders` orders, otherwise dropped if there and created empty, for the
 * caller to seed. Returns its URL, whether it was reused, and its order count.
 */
export async function pgDatabase(base, name, orders) {
  const url = `${base}/${name}`;
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount > 0;
    let count = 0;
    if (exists) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      if ((await c.query("SELECT to_regclass('orders') AS t")).rows[0].t) count = Number((await c.query('SELECT count(*) FROM orders')).rows[0].count);
      await c.end();
    }
    if (count === orders) return { url, reused: true, count };
    // a partial or different dataset: start from an empty database
    if (exists) await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    return { url, reused: false, count: 0 };
  } finally {
    await admin.end();
  }
}
