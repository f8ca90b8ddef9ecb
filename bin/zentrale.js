#!/usr/bin/env -S node --max-semi-space-size=32 --min-semi-space-size=32
// Entry point of the `zentrale` command. Runs the compiled code in dist/ (built by `npm ci` through the
// prepare script); falls back to the TypeScript sources through tsx when dist/ is missing (development).
// The shebang gives V8 a larger young generation, and a fixed one (32 MB semi-spaces from the start instead of up to
// 16): every SIP message leaves garbage that lives for one or two event-loop turns, a registration flood promoted
// much of it to the old generation with the default size, and a young generation that shrinks when idle costs the
// next burst a page fault per 4 KiB page it grows back into (docs/performance.md). Run as `node bin/zentrale.js`,
// pass the flags yourself.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'main.js');
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
