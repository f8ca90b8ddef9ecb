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
// Bounded: every request has a 10 s limit (a call that got no answer by then is cancelled and counted as failed),
// every cycle and every refresh round has a limit, the set-up and the shutdown have one, and the traffic stops at
// --minutes. A watchdog thread holds the samples too: should the process stall anyway (an event loop that never
// turns again), it prints the report from them 2 minutes after the end and kills the process, so every run ends
// with a report. `--sip-ports A-B` puts the server (UDP A, HTTP TCP A) and the phones (A+1...) in a port range.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseServeOptions } from '../src/cli/options.js';
import { startServer, type Server } from '../src/cli/server.js';
import { createLogger } from '../src/util/log.js';
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
    'sip-ports': { type: 'string' },
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
/** A cycle (dial, 2 s of RTP, BYE: three limited steps) or a refresh round that takes longer is abandoned. */
const CYCLE_LIMIT_MS = 4 * REQUEST_LIMIT_MS;
/** Registrations outlive two refresh intervals: a slow round never lets the phones (agents) drop out. */
const REGISTER_EXPIRES_S = Math.ceil((3 * REFRESH_MS) / 1000);
/** The set-up (phones, subscriptions, agent log-in, transactions ending) and the shutdown, each at most. */
const PHASE_LIMIT_MS = 3 * 60_000;
/** After the end of the traffic, the watchdog waits this long for the regular report before it writes its own. */
const WATCHDOG_GRACE_MS = 2 * 60_000;
const SIP_PORTS = values['sip-ports'] ? portRange(values['sip-ports']) : undefined;

const TIMED_OUT: unique symbol = Symbol('timed out');

async function within<T>(p: Promise<T>, ms = REQUEST_LIMIT_MS): Promise<T | typeof TIMED_OUT> {
  const ac = new AbortController();
  const limit = sleep(ms, TIMED_OUT, { signal: ac.signal }).catch((): typeof TIMED_OUT => TIMED_OUT);
  try {
    return await Promise.race([p, limit]);
  } finally {
    ac.abort();
  }
}

/** Like within(), but a step that runs out of time fails the whole phase (set-up, shutdown). */
async function surely<T>(p: Promise<T>, what: string, ms = REQUEST_LIMIT_MS): Promise<T> {
  const r = await within(p, ms);
  if (r === TIMED_OUT) throw new Error(`${what}: no answer in ${ms / 1000} s`);
  return r;
}

function portRange(v: string): { first: number; last: number } {
  const m = /^(\d+)-(\d+)$/.exec(v);
  const first = Number(m?.[1]);
  const last = Number(m?.[2]);
  if (!m || first < 1024 || last > 32767 || last < first)
    throw new Error('--sip-ports: A-B within 1024..32767');
  return { first, last };
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

/**
 * The watchdog: a thread of its own with the samples the main thread sends it. Should the main thread not have
 * reported by `deadline`, it writes the report from those samples (straight to fd 1: a worker's console goes
 * through the main thread) and kills the process.
 */
function watchdog(deadline: number): Worker {
  const code = `
    const { parentPort } = require('node:worker_threads');
    const { writeSync } = require('node:fs');
    const lines = [];
    let timer;
    parentPort.on('message', (m) => {
      if (m.line !== undefined) lines.push(m.line);
      if (m.done) { clearTimeout(timer); parentPort.close(); }
    });
    timer = setTimeout(() => {
      writeSync(1, '\\nsoak: the main thread did not finish in time (stalled event loop); the samples so far:\\n' +
        lines.join('\\n') + '\\n');
      process.kill(process.pid, 'SIGKILL');
    }, ${Math.max(0, deadline - Date.now())});
  `;
  const w = new Worker(code, { eval: true });
  w.unref();
  return w;
}

/**
 * One call: `caller` dials, both sides send 2 s of RTP, the caller hangs up. A dial that got no final answer in
 * time is cancelled (so its late 2xx leaves no call behind), and counts as failed.
 */
async function talk(caller: TestPhone, callee: TestPhone | undefined, dialled: string): Promise<boolean> {
  const answered = callee?.nextAnswered();
  const call = caller.place(dialled);
  const r = await within(call.result);
  if (r === TIMED_OUT) {
    call.cancel();
    void call.result.then((late) => late.dialog?.bye()).catch(() => undefined);
    return false;
  }
  if (r.status !== 200 || !r.dialog) return false;
  const other =
    callee && answered
      ? within(answered).then((d) =>
          d === TIMED_OUT ? undefined : callee.sendRtp(d, 100, { intervalMs: 20 }),
        )
      : undefined;
  const talked = await within(Promise.all([caller.sendRtp(r.dialog, 100, { intervalMs: 20 }), other]));
  const bye = await within(r.dialog.bye());
  return talked !== TIMED_OUT && bye !== TIMED_OUT;
}

/**
 * What a phone keeps per call for the tests' assertions (INVITEs, NOTIFYs, dialogs; each subscription's NOTIFYs
 * too, cleared in the loop): the soak lets go of it after each cycle, so the figures are not the phones' records.
 */
function forgetEnded(p: TestPhone): void {
  p.invites.length = 0;
  p.notifies.length = 0;
  const live = p.dialogs.filter((d) => d.state !== 'terminated');
  p.dialogs.length = 0;
  p.dialogs.push(...live);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-soak-'));
  const phones: TestPhone[] = [];
  let server: Server | undefined;
  let calls = 0;
  let failed = 0;
  let nextPort = SIP_PORTS ? SIP_PORTS.first + 1 : 0;
  const phonePort = (): number => {
    if (!SIP_PORTS) return 0;
    if (nextPort > SIP_PORTS.last) throw new Error('--sip-ports: the range is too small for the phones');
    return nextPort++;
  };
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const setupEnd = Date.now() + PHASE_LIMIT_MS;
  const dog = watchdog(setupEnd + MINUTES * 60_000 + PHASE_LIMIT_MS + WATCHDOG_GRACE_MS);
  const say = (line: string) => {
    console.log(line);
    dog.postMessage({ line });
  };
  try {
    writeFileSync(join(dir, 'soak.yaml'), tenantFile());
    const at0 = SIP_PORTS ? `127.0.0.1:${SIP_PORTS.first}` : '127.0.0.1:0';
    const opts = parseServeOptions(
      [
        '--data',
        dir,
        '--sip',
        `udp:${at0}`,
        '--http',
        at0,
        '--provision',
        join(dir, 'soak.yaml'),
        '--log-level',
        'warn',
        '--rtp-ports',
        values['rtp-ports']!,
      ],
      {},
    );
    server = await surely(
      startServer({ ...opts, logger: createLogger({ level: 'warn' }) }),
      'server start',
      PHASE_LIMIT_MS,
    );
    const udp = server.sip.transport.listening().find((l) => l.protocol === 'udp')!;
    const at = `${udp.address}:${udp.port}`;
    const open = async (e: string) => {
      const p = await TestPhone.open({
        user: e,
        password: PASSWORD,
        domain: DOMAIN,
        server: at,
        ...(SIP_PORTS ? { port: phonePort() } : {}),
      });
      phones.push(p);
      const r = await surely(p.register(REGISTER_EXPIRES_S), `${e} REGISTER`);
      if (r.status !== 200) throw new Error(`${e} did not register (${r.status})`);
      return p;
    };
    const pairs: Array<{ a: TestPhone; b: TestPhone }> = [];
    for (let i = 0; i < PAIRS; i++) pairs.push({ a: await open(ext(i)), b: await open(ext(100 + i)) });
    const subs: Subscription[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const w = await open(ext(200 + i));
      subs.push(await surely(w.subscribe(`sip:${ext(100 + i)}@${DOMAIN}`, { expires: 900 }), 'SUBSCRIBE'));
    }
    for (const a of [ext(300), ext(301)]) {
      const p = await open(a);
      for (const code of ['*51600', '*53']) {
        const r = await surely(p.dial(code), `agent ${a} ${code}`);
        if (r.status !== 200) throw new Error(`agent ${a}: ${code} got ${r.status}`);
        await sleep(300);
      }
    }
    const queued: TestPhone[] = [];
    for (let i = 0; i < QUEUE_CALLERS; i++) queued.push(await open(ext(400 + i)));
    // The set-up's transactions end first (UDP: Timer J/K, up to 32 s): the resting counts come after them.
    const quiet = Math.min(Date.now() + 40_000, setupEnd);
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
      const lagMs = lag.max / 1e6;
      lag.reset();
      say(
        `${min.toFixed(1).padStart(6)} min  heap ${m.heap.toFixed(1).padStart(7)} MB  rss ${m.rss.toFixed(1).padStart(7)} MB  ` +
          `calls ${calls}  failed ${failed}  load ${loadavg()[0]!.toFixed(2)}  loop lag max ${lagMs.toFixed(0)} ms`,
      );
    };
    say(
      `soak: ${MINUTES} min, ${PAIRS} call pairs with BLF watchers, ${QUEUE_CALLERS} queue callers, 2 agents`,
    );
    sample();
    // Samples come from a timer of their own, so a slow cycle does not delay them.
    const sampler = setInterval(sample, SAMPLE_S * 1000);
    let nextRefresh = Date.now() + REFRESH_MS;
    // Bounded by time, and by count too: a cycle takes at least its 2 s of RTP.
    const maxCycles = Math.ceil((MINUTES * 60_000) / 2000);
    try {
      for (let cycle = 0; cycle < maxCycles && Date.now() < end; cycle++) {
        const round = await within(
          Promise.all([
            ...pairs.map((p, i) => talk(p.a, p.b, ext(100 + i))),
            ...queued.map((q) => talk(q, undefined, '600')),
          ]),
          CYCLE_LIMIT_MS,
        );
        const results = round === TIMED_OUT ? [] : round;
        calls += pairs.length + queued.length;
        failed += round === TIMED_OUT ? pairs.length + queued.length : results.filter((ok) => !ok).length;
        for (const p of phones) forgetEnded(p);
        for (const sub of subs) sub.notifies.length = 0;
        if (Date.now() >= nextRefresh && Date.now() < end) {
          nextRefresh = Date.now() + REFRESH_MS;
          const refreshed = await within(
            Promise.all([
              ...phones.map(async (p) => statusOf(await within(p.register(REGISTER_EXPIRES_S))) === 200),
              ...subs.map(async (s) => statusOf(await within(s.refresh(900))) === 200),
            ]),
            CYCLE_LIMIT_MS,
          );
          failed +=
            refreshed === TIMED_OUT ? phones.length + subs.length : refreshed.filter((ok) => !ok).length;
        }
        await sleep(200);
      }
    } finally {
      clearInterval(sampler);
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
    const [l1, l5, l15] = loadavg().map((l) => l.toFixed(2));
    say(
      `\n${calls} calls (${failed} failed) in ${MINUTES} min; after warm-up (${warm} sample${warm > 1 ? 's' : ''}): ` +
        `heap ${perHour('heap').toFixed(2)} MB/h, rss ${perHour('rss').toFixed(2)} MB/h; load average ${l1} ${l5} ${l15}`,
    );
    const left = off();
    say(
      left.length === 0
        ? 'live counts back to where they were before the traffic'
        : `left behind: ${left.map((k) => `${k}=${server!.counts()[k]} (was ${baseline[k]})`).join(', ')}`,
    );
    if (failed > 0 || left.length > 0) process.exitCode = 1;
  } finally {
    lag.disable();
    await within(Promise.all(phones.map((p) => within(p.close()))), PHASE_LIMIT_MS);
    if (server && (await within(server.stop(), PHASE_LIMIT_MS)) === TIMED_OUT) {
      console.log('soak: the server did not stop in time');
      process.exitCode = 1;
    }
    rmSync(dir, { recursive: true, force: true });
    dog.postMessage({ done: true });
    await dog.terminate();
  }
}

await main();
// Anything still holding the event loop (a socket a failed step left open) must not keep the run from ending.
setTimeout(() => process.exit(), 5000).unref();
