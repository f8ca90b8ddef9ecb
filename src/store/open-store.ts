import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteRegistrationRounds } from './sqlite-registration-rounds.js';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { KyselyStore } from './kysely-store.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';
import type { Store } from './types.js';

export interface OpenStoreOptions {
  /** Where relative SQLite paths resolve; created if missing. Default: the current directory. */
  dataDir?: string;
}

/** Where a store URL points, parsed. Exported for the CLI, which prints it at start. */
export type StoreLocation =
  | { dialect: 'sqlite'; path: string } // ':memory:' or an absolute file path
  | { dialect: 'postgres'; url: string };

/**
 * `postgres://…` / `postgresql://…` → PostgreSQL; `sqlite:PATH`, `sqlite::memory:` or a bare PATH → SQLite.
 * Relative SQLite paths resolve against `dataDir`.
 */
export function parseStoreUrl(url: string, opts: OpenStoreOptions = {}): StoreLocation {
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', url };
  let path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  // Accept the URL-ish sqlite:///abs/path too.
  if (path.startsWith('//')) path = path.slice(2);
  if (path === '') throw new Error(`store URL has no path: ${JSON.stringify(url)}`);
  if (path === ':memory:') return { dialect: 'sqlite', path };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) throw new Error(`unsupported store URL: ${JSON.stringify(url)}`);
  return { dialect: 'sqlite', path: isAbsolute(path) ? path : resolve(opts.dataDir ?? '.', path) };
}

/** Opens the store and brings its schema up to date (migrations run on every open; applied ones are skipped). */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const loc = parseStoreUrl(url, opts);
  let db: Kysely<Database>;
  let raw: BetterSqlite3.Database | undefined;
  if (loc.dialect === 'sqlite') ({ db, raw } = openSqlite(loc.path));
  else db = openPostgres(loc.url);
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  // Prepared after the migrations: the registrations table must exist.
  return new KyselyStore(db, loc.dialect, raw ? { rounds: new SqliteRegistrationRounds(raw) } : {});
}

function openSqlite(path: string): { db: Kysely<Database>; raw: BetterSqlite3.Database } {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new BetterSqlite3(path);
  // WAL: readers do not block the writer. NORMAL is durable across process crashes in WAL mode and may only
  // lose the last commits on power loss, which is the usual trade for a PBX's registration churn.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  // SQLite ignores foreign keys unless asked, per connection.
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) }), raw: sqlite };
}

const INT8_OID = 20;

function openPostgres(url: string): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    // Timestamps are bigint ms; pg returns int8 as strings by default (it can exceed 2^53). Ours never do, so
    // parse them to numbers per pool rather than by changing pg's global parser table.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? parseInt8
          : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
    },
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${text} does not fit a JavaScript number`);
  return n;
}

async function migrate(db: Kysely<Database>): Promise<void> {
  // Migrations of features built side by side may land in another order than their numbers; each one only adds
  // its own tables, so a data folder that ran a later number still takes an earlier one that arrives afterwards.
  const migrator = new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`store migration ${failed ?? ''} failed: ${String(error)}`, { cause: error });
  }
}
