// Soak: a whole Zentrale under steady mixed traffic for a given time, memory sampled every minute.
//
//   npm run bench:soak                        # 30 minutes (the figure docs/security.md asks for)
//   npm run bench:soak -- --minutes 5         # any length, 1..240
//   npm run bench:soak -- --smoke             # 2 minutes, samples every 15 s: does it run, is anything off
//
// In process, loopback only: the server (src/cli/server.ts, fresh SQLite in a temp dir, log level warn) and
// scripted phones of the project's own SIP stack (test/support/test-phone.ts, UDP). Tenant `soak`: `--pairs`
// caller/callee pairs, a BLF watcher per callee, a queue (600) with two agents that answer at once, and queue
// callers. Every cycle: each pair places a call and both sides send 2 s of RTP through the relay, then hang up
// (the watchers get their NOTIFYs); each queue caller calls 600, is connected to an agent, sends RTP, hangs up.
// Every 5 minutes every phone re-registers and every watcher refreshes its subscription.
//
// Memory: heap after forced GC and RSS of the whole process (server and phones) every `--sample` seconds, and
// the slope (least squares, MB per hour) over the samples after the warm-up (the first fifth of the run, at
// least one sample). At the end the server's live counts (/debug/counts) are compared with those before any
// traffic. Exit code 1 when calls failed or counts did not come back.
//
// Bounded: the run ends at --minutes; every call has a 10 s limit; every phone and the server are stopped.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseServeOptions } from '../src/cli/options.js';
import { startServer, type Server } from '../src/cli/server.js';
import { createLogger } from '../src/util/log.js';
import type { Dialog } from '../src/sip/dialog/index.js';
import { TestPhone } from '../test/support/test-phone.js';
import type { Subscription } from '../test/support/phone-subscription.js';

const DOMAIN = 'soak.zentrale.test';
/** Live objects that must be back at their resting value once the traffic stopped. */
const LIVE_KEYS = [
  'serverTransactions',
  'clientTransactions',
  'dialogs',
  'pendingInvites',
  'calls',
  'queueCalls',
  'mediaEndpoints',
  'mediaBridges',
  'mediaPlayers',
  'mediaPorts',
  'requestsInFlight',
  'timers',
  'udpSockets',
  'registrations',
  'blfSubscriptions',
];
const PASSWORD = `soak-${randomBytes(6).toString('hex')}-Pa55`;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    smoke: { type: 'boolean', default: false },
    pairs: { type: 'string', default: '4' },
    'queue-callers': { type: 'string', default: '2' },
    sample: { type: 'string' },
    'rtp-ports': { type: 'string', default: '40000-40999' },
  },
});
const MINUTES = values.smoke ? 2 : bounded('minutes', values.minutes, 1, 240);
const SAMPLE_S = values.sample ? bounded('sample', values.sample, 5, 600) : values.smoke ? 15 : 60;
const PAIRS = bounded('pairs', values.pairs, 1, 40);
const QUEUE_CALLERS = bounded('queue-callers', values['queue-callers'], 0, 20);
/** Re-registration and subscription refresh interval (the smoke run does it every minute, to exercise it). */
const REFRESH_MS = values.smoke ? 60_000 : 5 * 60_000;
/** A request that got no final answer in this time counts as failed (and the run goes on). */
const REQUEST_LIMIT_MS = 10_000;

const TIMED_OUT = Symbol('timed out');

async function within<T>(p: Promise<T>): Promise<T | typeof TIMED_OUT> {
  return Promise.race([p, sleep(REQUEST_LIMIT_MS, TIMED_OUT, { ref: false })]);
}

function statusOf(r: { status: number } | typeof TIMED_OUT): number {
  return r === TIMED_OUT ? 0 : r.status;
}

function bounded(name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: ${min}..${max}`);
  return n;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function memory(): { heap: number; rss: number } {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / 2 ** 20, rss: m.rss / 2 ** 20 };
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const ext = (n: number) => String(4000 + n);
const device = (e: string, packages = '') =>
  `      - { extension: '${e}', name: 'Soak ${e}', ${packages}devices: [{ username: '${e}', password: '${PASSWORD}' }] }`;

function tenantFile(): string {
  const callers = Array.from({ length: PAIRS }, (_, i) => ext(i));
  const callees = Array.from({ length: PAIRS }, (_, i) => ext(100 + i));
  const watchers = Array.from({ length: PAIRS }, (_, i) => ext(200 + i));
  const agents = [ext(300), ext(301)];
  const queued = Array.from({ length: QUEUE_CALLERS }, (_, i) => ext(400 + i));
  return [
    'tenants:',
    '  - id: soak',
    '    name: Soak',
    `    domain: ${DOMAIN}`,
    '    groups:',
    `      - { extension: '600', name: Queue, policy: longest-idle, agents: ['${agents.join("', '")}'], wrapUp: 0 }`,
    '    workplaces:',
    ...[...callers, ...callees, ...watchers, ...queued].map((e) => device(e)),
    ...agents.map((e) => device(e, 'packages: [group], ')),
    '',
  ].join('\n');
}

async function talk(caller: TestPhone, callee: TestPhone | undefined, dialled: string): Promise<boolean> {
  const answered = callee?.nextAnswered();
  const r = await within(caller.dial(dialled));
  if (r === TIMED_OUT || r.status !== 200 || !r.dialog) return false;
  const other =
    callee && answered ? answered.then((d: Dialog) => callee.sendRtp(d, 100, { intervalMs: 20 })) : undefined;
  const talked = await within(Promise.all([caller.sendRtp(r.dialog, 100, { intervalMs: 20 }), other]));
  const bye = await within(r.dialog.bye());
  return talked !== TIMED_OUT && bye !== TIMED_OUT;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-soak-'));
  const phones: TestPhone[] = [];
  let server: Server | undefined;
  let calls = 0;
  let failed = 0;
  try {
    writeFileSync(join(dir, 'soak.yaml'), tenantFile());
    const opts = parseServeOptions(
      [
        '--data',
        dir,
        '--sip',
        'udp:127.0.0.1:0',
        '--http',
        '127.0.0.1:0',
        '--provision',
        join(dir, 'soak.yaml'),
        '--log-level',
        'warn',
        '--rtp-ports',
        values['rtp-ports']!,
      ],
      {},
    );
    server = await startServer({ ...opts, logger: createLogger({ level: 'warn' }) });
    const udp = server.sip.transport.listening().find((l) => l.protocol === 'udp')!;
    const at = `${udp.address}:${udp.port}`;
    const open = async (e: string) => {
      const p = await TestPhone.open({ user: e, password: PASSWORD, domain: DOMAIN, server: at });
      phones.push(p);
      if ((await p.register()).status !== 200) throw new Error(`${e} did not register`);
      return p;
    };
    const pairs = await Promise.all(
      Array.from({ length: PAIRS }, async (_, i) => ({ a: await open(ext(i)), b: await open(ext(100 + i)) })),
    );
    const subs: Subscription[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const w = await open(ext(200 + i));
      subs.push(await w.subscribe(`sip:${ext(100 + i)}@${DOMAIN}`, { expires: 900 }));
    }
    for (const a of [ext(300), ext(301)]) {
      const p = await open(a);
      for (const code of ['*51600', '*53']) {
        const r = await p.dial(code);
        if (r.status !== 200) throw new Error(`agent ${a}: ${code} got ${r.status}`);
        await sleep(300);
      }
    }
    const queued = await Promise.all(Array.from({ length: QUEUE_CALLERS }, (_, i) => open(ext(400 + i))));
    // The set-up's transactions end first (UDP: Timer J/K, up to 32 s): the resting counts come after them.
    const quiet = Date.now() + 40_000;
    const busy = (c: Record<string, number>) => (c.serverTransactions ?? 0) + (c.clientTransactions ?? 0) > 0;
    while (Date.now() < quiet && busy(server.counts())) await sleep(500);
    const baseline = server.counts();
    const t0 = Date.now();
    const end = t0 + MINUTES * 60_000;
    const samples: Array<{ min: number; heap: number; rss: number }> = [];
    const sample = () => {
      const m = memory();
      const min = (Date.now() - t0) / 60_000;
      samples.push({ min, ...m });
      console.log(
        `${min.toFixed(1).padStart(6)} min  heap ${m.heap.toFixed(1).padStart(7)} MB  rss ${m.rss.toFixed(1).padStart(7)} MB  calls ${calls}  failed ${failed}`,
      );
    };
    console.log(
      `soak: ${MINUTES} min, ${PAIRS} call pairs with BLF watchers, ${QUEUE_CALLERS} queue callers, 2 agents`,
    );
    sample();
    let nextSample = Date.now() + SAMPLE_S * 1000;
    let nextRefresh = Date.now() + REFRESH_MS;
    while (Date.now() < end) {
      const results = await Promise.all([
        ...pairs.map((p, i) => talk(p.a, p.b, ext(100 + i))),
        ...queued.map((q) => talk(q, undefined, '600')),
      ]);
      calls += results.length;
      failed += results.filter((ok) => !ok).length;
      if (Date.now() >= nextRefresh) {
        nextRefresh += REFRESH_MS;
        for (const p of phones) if (statusOf(await within(p.register())) !== 200) failed++;
        for (const s of subs) if (statusOf(await within(s.refresh(900))) !== 200) failed++;
      }
      if (Date.now() >= nextSample) {
        nextSample += SAMPLE_S * 1000;
        sample();
      }
      await sleep(200);
    }
    sample();
    // Transactions of the last calls end (UDP, Timer J/K), then the counts must be those before the traffic.
    const settle = Date.now() + 40_000;
    const off = () => LIVE_KEYS.filter((k) => server!.counts()[k] !== baseline[k]);
    while (off().length > 0 && Date.now() < settle) await sleep(500);
    const warm = Math.max(1, Math.floor(samples.length / 5));
    const steady = samples.slice(warm);
    const perHour = (k: 'heap' | 'rss') =>
      slope(
        steady.map((s) => s.min / 60),
        steady.map((s) => s[k]),
      );
    console.log(
      `\n${calls} calls (${failed} failed) in ${MINUTES} min; after warm-up (${warm} sample${warm > 1 ? 's' : ''}): ` +
        `heap ${perHour('heap').toFixed(2)} MB/h, rss ${perHour('rss').toFixed(2)} MB/h`,
    );
    const left = off();
    console.log(
      left.length === 0
        ? 'live counts back to where they were before the traffic'
        : `left behind: ${left.map((k) => `${k}=${server!.counts()[k]} (was ${baseline[k]})`).join(', ')}`,
    );
    if (failed > 0 || left.length > 0) process.exitCode = 1;
  } finally {
    for (const p of phones) await p.close().catch(() => undefined);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
