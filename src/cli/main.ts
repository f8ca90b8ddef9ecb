import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  applyProvisioning,
  formatChanges,
  parseProvisioning,
  planProvisioning,
  ProvisioningError,
} from '../core/provisioning/index.js';
import { openStore } from '../store/index.js';
import { parseServeOptions, SERVE_DEFAULTS, UsageError } from './options.js';
import { startServer } from './server.js';

const USAGE = `usage:
  zentrale serve [--data DIR] [--database URL] [--sip LIST] [--http HOST:PORT] [--provision FILE]
                 [--log-level LEVEL] [--auth-fail-threshold N] [--auth-ban-seconds N]
                 [--min-expires N] [--max-expires N]
  zentrale provision FILE [--dry-run] [--data DIR] [--database URL]

Defaults: --data ${SERVE_DEFAULTS.data}, --sip ${SERVE_DEFAULTS.sip}, --http ${SERVE_DEFAULTS.http}.
Each flag also reads an environment variable (ZENTRALE_DATA, ZENTRALE_DATABASE, ZENTRALE_SIP, ...).`;

async function serve(argv: string[]): Promise<void> {
  const opts = parseServeOptions(argv);
  const server = await startServer(opts);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`zentrale: ${signal}, shutting down\n`);
    // Stop SIP and HTTP first, then close (and so flush) the store.
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`zentrale: error during shutdown: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function provision(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'dry-run': { type: 'boolean' }, data: { type: 'string' }, database: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError('provision: expected exactly one FILE');
  const dataDir = resolve(values.data ?? process.env.ZENTRALE_DATA ?? SERVE_DEFAULTS.data);
  const url = values.database ?? process.env.ZENTRALE_DATABASE ?? `sqlite:${resolve(dataDir, 'zentrale.db')}`;
  const doc = parseProvisioning(await readFile(file, 'utf8'), basename(file));
  const store = await openStore(url, { dataDir });
  try {
    const changes = values['dry-run']
      ? await planProvisioning(store, doc)
      : await applyProvisioning(store, doc);
    const text = formatChanges(changes);
    process.stdout.write(
      values['dry-run']
        ? `dry run, nothing applied:\n${text || 'no changes'}\n`
        : `${text || 'no changes'}\n`,
    );
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'serve':
      return serve(rest);
    case 'provision':
      return provision(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof ProvisioningError) {
    process.stderr.write(`zentrale: provisioning file rejected, nothing applied:\n${err.message}\n`);
    process.exit(2);
  }
  if (
    err instanceof UsageError ||
    (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
  ) {
    process.stderr.write(`zentrale: ${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`zentrale: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
