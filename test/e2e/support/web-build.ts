import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB_CONFIG = fileURLToPath(new URL('../../../web/vite.config.ts', import.meta.url));
/** What the PBX's HTTP listener serves at / (DEFAULT_WEB_ROOT in src/api/web-app.ts). */
const WEB_ROOT = fileURLToPath(new URL('../../../dist/web', import.meta.url));

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

/**
 * Builds web/ and publishes it into dist/web without ever leaving that directory incomplete. The e2e runner runs
 * two files at once, each in its own process whose PBX serves dist/web to its own browser, and every browser file
 * builds in its `before`. Built straight into dist/web (vite empties it, then writes the files one by one), a
 * build lets the other file's page fetch a missing or half-written chunk: a 404, or an empty module that leaves
 * the page on "loading". So vite writes into a private directory beside it, and each file is renamed into place
 * (a rename replaces the old file at once), the fingerprinted assets before the index.html that names them.
 * Files of earlier builds stay: their names carry their content hash, so nothing old is served under a new name.
 */
export async function buildWebAppInPlace(): Promise<void> {
  const { build } = await import('vite');
  mkdirSync(WEB_ROOT, { recursive: true });
  const staging = mkdtempSync(join(dirname(WEB_ROOT), '.web-build-'));
  try {
    await build({ configFile: WEB_CONFIG, logLevel: 'warn', build: { outDir: staging, emptyOutDir: false } });
    const files = filesUnder(staging).sort((a, b) => Number(a === 'index.html') - Number(b === 'index.html'));
    for (const f of files) {
      mkdirSync(dirname(join(WEB_ROOT, f)), { recursive: true });
      renameSync(join(staging, f), join(WEB_ROOT, f));
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
