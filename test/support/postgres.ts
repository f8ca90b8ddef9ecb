import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL the tests may use (`ZENTRALE_TEST_PG_URL`, e.g. from `scripts/pg.sh start DIR`), or undefined. */
export function pgTestUrl(): string | undefined {
  const url = process.env['ZENTRALE_TEST_PG_URL'];
  return url && url.trim() !== '' ? url.trim() : undefined;
}

/** Why PostgreSQL suites are skipped, for node:test's `skip` option. */
export const PG_SKIP_REASON =
  'ZENTRALE_TEST_PG_URL not set (start one with: bash scripts/pg.sh start /tmp/zpg)';

export interface PgTestSchema {
  /** The base URL with `search_path` pointed at the fresh schema, for `openStore`. */
  url: string;
  schema: string;
  /** Drops the schema with everything in it. */
  drop(): Promise<void>;
}

/**
 * A fresh, uniquely named schema in the test database, so reruns and parallel suites never see each other's
 * tables or migration history.
 */
export async function createPgTestSchema(baseUrl: string, label: string): Promise<PgTestSchema> {
  const schema = `zt_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await withClient(baseUrl, (c) => c.query(`create schema "${schema}"`));
  const u = new URL(baseUrl);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: u.toString(),
    schema,
    drop: () =>
      withClient(baseUrl, (c) => c.query(`drop schema if exists "${schema}" cascade`)).then(() => undefined),
  };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
