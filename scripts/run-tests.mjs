#!/usr/bin/env node
// Runs the test files with node's own test runner through tsx (Node 20's --test takes no globs).
// Usage: node scripts/run-tests.mjs [--unit | --e2e] [filter-substring ...]
// ZENTRALE_TEST_WORKERS (default 3) sets how many e2e files run at once.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { clearTimeout, setTimeout } from 'node:timers';

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

let files = [...walk('src', []), ...walk('test', []), ...walk('web', [])].sort();
if (only === 'unit') files = files.filter((f) => !f.startsWith('test/e2e/'));
if (only === 'e2e') files = files.filter((f) => f.startsWith('test/e2e/'));
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const testArgs = (forceExit) => [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=1',
  // --test-force-exit only for e2e files: there a failed test may leave a socket open, and the run must still end
  // (its failure is reported). Unit files run without it: under load it once ended a unit file's reporting
  // mid-file while the run stayed green (tests silently uncounted).
  ...(forceExit ? ['--test-force-exit'] : []),
  '--test-reporter=spec',
];

/** Unit files: one `node --test` run, one file at a time. */
function runUnit(list) {
  if (list.length === 0) return 0;
  return spawnSync(process.execPath, [...testArgs(false), ...list], { stdio: 'inherit' }).status ?? 1;
}

/**
 * E2E files run on a small pool of workers, each with its own loopback port range (ZENTRALE_TEST_RTP_PORTS; the
 * tests derive their client ports from it). Files that still bind fixed client ports (they never mention the
 * range) run one at a time, on the first worker and its default range. A file's output is printed whole when it
 * ends. Every range (and the client ports 500 below it) stays under Linux's ephemeral range (32768-60999 by
 * default): a port there may be taken at any moment by an outgoing connection, and a phone binding it then fails.
 */
// A range given in the environment means "run here only": one worker on that range.
const WORKER_RANGES = process.env.ZENTRALE_TEST_RTP_PORTS
  ? [process.env.ZENTRALE_TEST_RTP_PORTS]
  : ['31000-31999', '21000-21999', '23000-23999', '28000-28999'];
const FILE_TIMEOUT_MS = 12 * 60_000;

/** A literal port of the fixed block (25000-26999) marks a file that binds fixed client ports. */
const FIXED_PORT = /\b2[56]\d{3}\b/;

/** True when a file may run on any worker: it derives its ports from the range or lets the kernel pick them. */
function usesRange(file) {
  const text = readFileSync(file, 'utf8');
  return (
    text.includes('ZENTRALE_TEST_RTP_PORTS') || text.includes('support/executive') || !FIXED_PORT.test(text)
  );
}

/**
 * True for a file that drives Chromium. Each builds the web app into dist/web in its `before` while another's PBX
 * may be serving it, and two browsers and two servers share the CI machine's two cores: in three CI runs a
 * MyPortal page next to another browser file waited past its 30 s. One browser file at a time.
 */
function usesBrowser(file) {
  return /launchChromium|support\/browser\.js|support\/portal-browser\.js/.test(readFileSync(file, 'utf8'));
}

function runFile(file, range) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [...testArgs(true), file], {
      env: { ...process.env, ZENTRALE_TEST_RTP_PORTS: range },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n✖ ${file}: killed after ${FILE_TIMEOUT_MS / 60_000} min\n`;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const count = (k) => Number(new RegExp(`^ℹ ${k} (\\d+)`, 'm').exec(out)?.[1] ?? 0);
      const secs = (Date.now() - started) / 1000;
      process.stdout.write(`\n▶ ${file} (${range}, ${secs.toFixed(0)} s)\n${out}`);
      const ok = code === 0;
      resolve({
        file,
        ok,
        pass: count('pass'),
        fail: count('fail'),
        todo: count('todo'),
        secs,
        ...(ok ? {} : { out }),
      });
    });
  });
}

/**
 * Seconds each e2e file took in CI (the `▶ file (range, N s)` lines). The workers take the longest files first
 * (longest-processing-time scheduling), so that no worker is left with a long file at the end while the others
 * idle. A file not listed counts as DEFAULT_SECONDS; the numbers only order the queue, nothing depends on them.
 */
const KNOWN_SECONDS = {
  voicemail: 121,
  park: 90,
  'call-flows': 56,
  'restart-under-load': 54,
  callcenter: 53,
  'executive-codes': 52,
  forwarding: 50,
  executive: 48,
  'web-client': 48,
  'portal-browser': 48,
  pickup: 46,
  'api-transfers': 44,
  'graceful-stop': 42,
  'linphone-codecs': 40,
  'callcenter-sipp': 37,
  calls: 36,
  'admin-forms': 35,
  'linphone-transfer': 35,
  linphone: 34,
  webrtc: 32,
  protos: 30,
  'web-client-features': 29,
  'call-control': 29,
  flood: 28,
  register: 28,
  'web-softphone': 26,
  blf: 21,
};
const DEFAULT_SECONDS = 15;

/** The known duration of a test file (by its name without directory and `.test.ts`). */
function knownSeconds(file) {
  const name = file.replace(/^.*\//, '').replace(/\.test\.ts$/, '');
  return KNOWN_SECONDS[name] ?? DEFAULT_SECONDS;
}

/** Calls `a`, then `b`. */
function chain(a, b) {
  return () => {
    a();
    b();
  };
}

async function runE2e(list) {
  if (list.length === 0) return 0;
  const workers = Math.max(1, Math.min(Number(process.env.ZENTRALE_TEST_WORKERS ?? 3), WORKER_RANGES.length));
  const pending = list
    .map((file) => ({ file, ranged: usesRange(file), browser: usesBrowser(file), secs: knownSeconds(file) }))
    .sort((a, b) => b.secs - a.secs || a.file.localeCompare(b.file));
  const results = [];
  // Worker 0 owns the default range and runs every fixed-port file (so they never meet), then helps with the rest;
  // the other workers take only files that follow the range they are given. Both pick the longest first.
  // A browser file is not started while another runs (usesBrowser); a worker left with only those waits for it.
  let browserRunning = false;
  let browserDone = () => {};
  const eligible = (n, p) => (n === 0 || p.ranged) && !(p.browser && browserRunning);
  const next = (n) => {
    let i = n === 0 ? pending.findIndex((p) => !p.ranged && eligible(n, p)) : -1;
    if (i < 0) i = pending.findIndex((p) => eligible(n, p));
    return i < 0 ? undefined : pending.splice(i, 1)[0];
  };
  const waiting = (n) => browserRunning && pending.some((p) => (n === 0 || p.ranged) && p.browser);
  const busy = Array.from({ length: workers }, () => 0);
  async function worker(n) {
    for (;;) {
      const job = next(n);
      if (!job) {
        if (!waiting(n)) return;
        await new Promise((resolve) => (browserDone = chain(browserDone, resolve)));
        continue;
      }
      if (job.browser) browserRunning = true;
      const r = await runFile(job.file, WORKER_RANGES[n]);
      if (job.browser) {
        browserRunning = false;
        const wake = browserDone;
        browserDone = () => {};
        wake();
      }
      busy[n] += r.secs;
      results.push(r);
    }
  }
  await Promise.all(Array.from({ length: workers }, (_, n) => worker(n)));
  const sum = (k) => results.reduce((a, r) => a + r[k], 0);
  const failed = results.filter((r) => !r.ok);
  console.log(
    `\ne2e: ${results.length} files, ${sum('pass')} passed, ${sum('fail')} failed, ${sum('todo')} todo` +
      `\nworkers: ${busy.map((s, n) => `${WORKER_RANGES[n]} ${s.toFixed(0)} s`).join(', ')}` +
      (failed.length ? `\nfailed files: ${failed.map((r) => r.file).join(', ')}` : ''),
  );
  for (const r of failed) console.log(`\n✖ ${r.file}, why:\n${failureOf(r.out)}`);
  return failed.length ? 1 : 0;
}

/**
 * The spec reporter's closing "failing tests" section of a file's output (or its last lines when there is none),
 * printed again after the summary: a CI log is often read from its tail, where a file's own output is long gone.
 */
function failureOf(out) {
  const at = out.lastIndexOf('✖ failing tests:');
  const text = at >= 0 ? out.slice(at) : out.split('\n').slice(-60).join('\n');
  const MAX = 8000;
  return text.length > MAX
    ? `${text.slice(0, MAX)}\n… (${text.length - MAX} more characters: see the file's output above)`
    : text;
}

const unitStatus = runUnit(files.filter((f) => !f.startsWith('test/e2e/')));
const e2eStatus = await runE2e(files.filter((f) => f.startsWith('test/e2e/')));
if (unitStatus !== 0)
  console.log('\n✖ unit tests failed: their "failing tests" section ends the unit output above');
process.exit(unitStatus !== 0 ? unitStatus : e2eStatus);
