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
                 [--min-expires N] [--max-expires N] [--tls-cert FILE --tls-key FILE] [--tls-hosts LIST]
                 [--drain-seconds N] [--registration-write-ms N]
                 [--drain-seconds N] [--sip-rate N] [--flood-threshold N] [--server-header TEXT]
                 [--media-timeout N] [--media relay|rtpengine:HOST:PORT] [--media-workers N]
                 [--session-expires N] [--session-min-se N]
  zentrale provision FILE [--dry-run] [--data DIR] [--database URL]

Defaults: --data ${SERVE_DEFAULTS.data}, --sip ${SERVE_DEFAULTS.sip}, --http ${SERVE_DEFAULTS.http}
(https:HOST:PORT for HTTPS). Without --tls-cert/--tls-key a self-signed certificate for --tls-hosts
(${SERVE_DEFAULTS.tlsHosts}) is made once and kept under the data folder; SIGHUP reloads the certificate,
SIGTERM stops gracefully (--drain-seconds ${SERVE_DEFAULTS.drainSeconds}).
Each flag also reads an environment variable (ZENTRALE_DATA, ZENTRALE_DATABASE, ZENTRALE_SIP, ...).`;

async function serve(argv: string[]): Promise<void> {
  const opts = parseServeOptions(argv);
  const server = await startServer(opts);
  let stopping = false;
  const stopNow = () => {
    // Stop SIP and HTTP first, then close (and so flush) the store.
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`zentrale: error during shutdown: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  const shutdown = (signal: string, drainMs: number) => {
    if (stopping) {
      // A second signal while draining: stop at once.
      if (drainMs > 0) return;
      process.stderr.write(`zentrale: ${signal} again, stopping now\n`);
      return stopNow();
    }
    stopping = true;
    process.stderr.write(
      `zentrale: ${signal}, shutting down${drainMs > 0 ? ` (running calls may finish for ${drainMs / 1000} s)` : ''}\n`,
    );
    server.drain(drainMs).then(stopNow, stopNow);
  };
  // SIGTERM (systemd, docker, Kubernetes) stops gracefully: new calls are refused, running ones may finish.
  process.on('SIGTERM', () => shutdown('SIGTERM', opts.drainSeconds * 1000));
  process.on('SIGINT', () => shutdown('SIGINT', 0));
  // SIGHUP: read the certificate files again; new TLS connections get the new certificate, none is dropped.
  process.on('SIGHUP', () => {
    server.reloadTls().then(
      (fp) =>
        process.stderr.write(`zentrale: SIGHUP, ${fp ? `TLS certificate SHA-256 ${fp}` : 'no TLS in use'}\n`),
      (err: unknown) =>
        process.stderr.write(
          `zentrale: SIGHUP, certificate not reloaded, the old one stays: ${String(err)}\n`,
        ),
    );
  });
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
