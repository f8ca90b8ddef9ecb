#!/usr/bin/env node
// Runs the test files with node's own test runner through tsx (Node 20's --test takes no globs).
// Usage: node scripts/run-tests.mjs [--unit | --e2e] [filter-substring ...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const only = args.includes('--unit') ? 'unit' : args.includes('--e2e') ? 'e2e' : 'all';
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(process.cwd(), p));
  }
  return out;
}

let files = [...walk('src', []), ...walk('test', [])].sort();
if (only === 'unit') files = files.filter((f) => !f.startsWith('test/e2e/'));
if (only === 'e2e') files = files.filter((f) => f.startsWith('test/e2e/'));
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// e2e tests bind fixed loopback ports: run files one at a time. --test-force-exit: a file whose failed test left a
// socket open still ends (its failure is reported) instead of holding the whole run until CI's time limit.
const r = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=1',
    '--test-force-exit',
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
