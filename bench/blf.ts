// BLF fan-out of Zentrale: how long from a call event to the last NOTIFY, and how much memory a subscription costs.
//
//   npm run bench:blf                  both scenarios (about 30-60 s)
//   npm run bench:blf -- --quick       fewer events per scenario
//   npm run bench:blf -- --help        all flags
//
// This process is the server under test, so package.json starts it with --max-semi-space-size=32 and
// --min-semi-space-size=32, the fixed young generation the server gets from bin/zentrale.js's shebang.
//
// In one process, on 127.0.0.1 only: the real notifier (src/features/presence/blf-notifier.ts and the subscription
// service, src/core/subscriptions) on a real SIP stack
// and UA core over UDP, an in-memory SQLite store (the write-behind persistence runs as in production), and a
// subscriber side of plain UDP sockets in a worker thread (bench/lib/blf-phones.ts; its own thread and heap, so
// this thread's CPU time and heap are the server's) that answers every NOTIFY with 200. Digest auth is left out (the
// SUBSCRIBEs go straight to the notifier as from an authenticated device): it is per subscription, not per event.
//
// Before the samples, --warmup events (default 10) compile the fan-out path; they are printed, not sampled (with
// 2, the first half-dozen samples still ran at 1.5-2.5x the steady time while V8 optimised the loop).
// The server's thread runs alone on core 0 and the phones' worker with V8's helper threads on core 1 (--no-pin
// leaves them to the scheduler): the phones stand in for devices on other machines, and on two cores they would
// otherwise take the server's core in the middle of a fan-out.
// Scenario A: 1,000 subscriptions watching one workplace. Scenario B: 1,000 workplaces, each watched by 10
// subscriptions (10,000). Per sample: one call event (`call.ringing`, then `call.ended` for the same call, one
// sample each) on the bus path (notifier.onEvent) at t0; done when the subscriber sockets have received the NOTIFY
// of that event from every watcher; the next event once the server has taken in every 200. Reported: median and
// p99 of (last NOTIFY handed to the transport - t0; the datagram leaves within that call) and of (last NOTIFY
// received - t0), the main thread's CPU time per NOTIFY over the events, and memory per 1,000 subscriptions:
// V8 heap (after forced GC) with
// all subscriptions live minus before any, divided by their number; it includes the UA dialog, the notifier's
// state and the document versions; and the heap the events leave held for a while (the same, taken right after
// the last sample, over the heap with the subscriptions: mostly the client transactions' Completed state).
//
// Bounded: every wait has a timeout; every socket and the stack are closed on exit (also on error).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from 'node:util';
import { Directory } from '../src/core/directory/directory.js';
import type { CallEvent, Party } from '../src/core/events/types.js';
import { BlfNotifier } from '../src/features/presence/blf-notifier.js';
import { SubscriptionService } from '../src/core/subscriptions/subscription-service.js';
import { SipStack } from '../src/sip/stack.js';
import { UserAgentCore } from '../src/sip/ua/index.js';
import { openStore } from '../src/store/open-store.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatProfile, profileWhile, summariseProfile } from './lib/profile.js';
import { Phones } from './lib/blf-phones.js';
import { pinToCore } from './lib/procs.js';
import type { DeviceRecord, Store, TenantRecord } from '../src/store/types.js';
import { SystemClock } from '../src/util/clock.js';
import { createLogger } from '../src/util/log.js';

const USAGE = `usage: npm run bench:blf -- [flags]
  --quick          20 samples per scenario (default 100)
  --smoke          a short run for CI: 4 samples, A with 100 watchers, B with 100 workplaces x 10
  --samples N      call events per scenario (2..2000)
  --warmup N       call events before the samples, not counted (default 10; even: ringing and ended)
  --sockets N      subscriber UDP sockets (default 8)
  --no-pin         leave the threads where the scheduler puts them (default: the server's thread alone on core 0)
  --profile        CPU-profile the call events of each scenario (not set-up) and print the hot spots`;

const TENANT: TenantRecord = { id: 'bench', name: 'Bench', domain: 'bench.zentrale.test' };
const DEVICE: DeviceRecord = {
  tenantId: 'bench',
  username: 'watcher',
  workplaceExtension: '9000',
  kind: 'deskphone',
  ha1Md5: '',
  ha1Sha256: '',
};
const WAIT_MS = 20_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * performance.now() when the UA core last handed a NOTIFY to the transport (Dialog.requestFromTemplate sends it
 * synchronously).
 */
let lastSent = 0;

interface Rig {
  notifier: BlfNotifier;
  /** Messages the server's stack has taken in so far (the phones' 200s to its NOTIFYs among them). */
  received(): number;
  server: { address: string; port: number };
  close(): Promise<void>;
}

async function rig(store: Store): Promise<Rig> {
  const clock = new SystemClock();
  const log = createLogger({ level: 'silent' });
  const directory = new Directory({ store: store.directory, clock });
  const ref: { ua?: UserAgentCore; subscriptions?: SubscriptionService } = {};
  const stack = new SipStack({
    listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }],
    clock,
    tu: { onRequest: (tx) => ref.ua?.onRequest(tx), onAck: (r, f) => ref.ua?.onAck(r, f) },
    maxTransactions: 100_000,
  });
  await stack.start();
  const ua = new UserAgentCore({
    clock,
    transactions: stack.transactions,
    sender: stack,
    localEndpoint: (p) => stack.transport.localEndpoint(p),
    // Straight to the notifier, as from an authenticated device of the tenant (auth is not what is measured).
    app: {
      onRequest: (tx) =>
        void ref.subscriptions
          ?.handleSubscribe(tx, TENANT, DEVICE)
          .catch((err: unknown) => console.error(err)),
    },
  });
  ref.ua = ua;
  // The notifier's view of the UA, with the time of each NOTIFY's send recorded.
  const timedUa = {
    acceptSubscribe: (tx: Parameters<UserAgentCore['acceptSubscribe']>[0], o: { expires: number }) => {
      const d = ua.acceptSubscribe(tx, o);
      const request = d.requestFromTemplate.bind(d);
      d.requestFromTemplate = (method, opts, done) => {
        request(method, opts, done);
        lastSent = performance.now();
      };
      return d;
    },
    restoreSubscription: (x: Parameters<UserAgentCore['restoreSubscription']>[0]) =>
      ua.restoreSubscription(x),
  };
  const subscriptions = new SubscriptionService({ ua: timedUa, tenants: directory, store, clock, log });
  const notifier = new BlfNotifier({ subscriptions, directory, legs: { pickupLegOf: () => undefined }, log });
  ref.subscriptions = subscriptions;
  await subscriptions.start();
  const ep = stack.transport.localEndpoint('udp')!;
  return {
    notifier,
    server: { address: ep.address, port: ep.port },
    received: () => stack.stats().received,
    close: async () => {
      notifier.stop();
      await subscriptions.stop();
      ua.close();
      await stack.stop();
    },
  };
}

/**
 * CPU seconds of this process's main thread (the server's; the phones have their own thread), from
 * /proc/self/task/<pid>/stat: user + system time in clock ticks (100 per second on Linux). Unlike wall time, this
 * does not grow when other work on the machine keeps the thread waiting for a core.
 */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/**
 * The server's thread alone on core 0, every other thread of the process (the phones' worker, V8's and libuv's
 * helpers) on core 1 (see the head of this file). Threads made later inherit the main thread's core, so this runs
 * again once each scenario's phones are up. Returns what was done.
 */
function pinThreads(): string {
  if (cpus().length < 2) return 'not pinned (one core)';
  const err = pinToCore([process.pid], 1) ?? pinToCore([process.pid], 0, false);
  return err === undefined
    ? 'server thread pinned to core 0, the phones and helper threads to core 1'
    : `not pinned (taskset: ${err})`;
}

/** Resolves once the server's stack has taken in `n` messages in all (bounded). */
async function untilReceived(r: Rig, n: number): Promise<void> {
  const end = performance.now() + WAIT_MS;
  while (r.received() < n) {
    if (performance.now() > end) throw new Error(`the server took in ${r.received()} of ${n} messages`);
    await new Promise((res) => setImmediate(res));
  }
}

let seq = 0;
function event(type: 'call.ringing' | 'call.ended', callId: string, ext: string): CallEvent {
  const caller: Party = { number: '+4930999', name: 'Extern' };
  const callee: Party = { workplace: ext, number: ext, name: `WP ${ext}` };
  return {
    type,
    callId,
    tenantId: TENANT.id,
    at: Date.now() + seq++,
    caller,
    callee,
    ...(type === 'call.ended' ? { reason: 'completed' } : {}),
  } as CallEvent;
}

async function scenario(
  name: string,
  o: {
    workplaces: number;
    watchers: number;
    samples: number;
    warmup: number;
    sockets: number;
    profile?: string;
    pin: boolean;
  },
): Promise<string> {
  const store = await openStore('sqlite::memory:');
  await store.provisioning.upsertTenant(TENANT);
  const exts = Array.from({ length: o.workplaces }, (_, i) => String(1000 + i));
  for (const e of [...exts, '9000'])
    await store.provisioning.upsertWorkplace({
      tenantId: TENANT.id,
      extension: e,
      name: `WP ${e}`,
      email: null,
      language: 'de',
      packages: [],
    });
  const subs = new Phones(WAIT_MS);
  await subs.open(o.sockets);
  const pinned = o.pin ? pinThreads() : 'not pinned (--no-pin)';
  const r = await rig(store);
  try {
    const total = o.workplaces * o.watchers;
    const before = heapUsed();
    await subs.subscribe(
      r.server,
      TENANT.domain,
      Array.from({ length: total }, (_, j) => exts[j % o.workplaces]!),
    );
    await subs.until(total);
    await new Promise((res) => setTimeout(res, 300));
    const withSubs = heapUsed();
    const perSub = (withSubs - before) / total;
    if (r.notifier.count() !== total) throw new Error(`${r.notifier.count()} of ${total} subscriptions live`);

    const times: number[] = [];
    const sent: number[] = [];
    let expected = (await subs.counts()).notifies;
    let received = r.received();
    /** One call event (`call.ringing` for even `s`, `call.ended` of the same call for odd): its two times. */
    const one = async (s: number, callId: string): Promise<[number, number]> => {
      const ext = exts[s % o.workplaces]!;
      expected += o.watchers;
      const t0 = performance.now();
      r.notifier.onEvent(event(s % 2 === 0 ? 'call.ringing' : 'call.ended', callId, ext));
      await subs.until(expected);
      const got: [number, number] = [lastSent - t0, performance.now() - t0];
      // The next event only once the server has taken in every 200 of this one: otherwise its NOTIFYs would
      // wait in their subscriptions' queues behind this event's transactions, and the sample would measure that.
      await untilReceived(r, (received += o.watchers));
      return got;
    };
    // Warm-up: the first events of a process compile the fan-out path (JIT); a running PBX has it compiled. They
    // are not samples (nor in the CPU figure) but are printed.
    const warm: number[] = [];
    for (let s = 0; s < o.warmup; s++) warm.push((await one(s, `w${Math.floor(s / 2)}`))[0]);
    const run = async (): Promise<void> => {
      for (let s = 0; s < o.samples; s++) {
        const [toSent, toReceived] = await one(s, `c${Math.floor(s / 2)}`);
        sent.push(toSent);
        times.push(toReceived);
      }
    };
    const cpu0 = mainThreadCpuMs();
    if (o.profile) await profileWhile(o.profile, run);
    else await run();
    const notifies = o.samples * o.watchers;
    const perNotify = ((mainThreadCpuMs() - cpu0) * 1000) / notifies;
    // What the events leave behind for a while: the client transactions' Completed state (Timer K, 5 s) and the
    // like, after forced GC and within those 5 s (the last sample was taken a few ms ago).
    const heldAfter = heapUsed() - withSubs;
    // The thread's CPU time comes in 10 ms ticks and includes its background work: meaningful over many NOTIFYs.
    const cpuLine =
      notifies >= 5000
        ? `${perNotify.toFixed(1)} µs (its user + system time over the events / NOTIFYs)`
        : `not shown (${notifies} NOTIFYs are too few for the 10 ms ticks of the thread's CPU time)`;
    const { retransmitted } = await subs.counts();
    times.sort((a, b) => a - b);
    sent.sort((a, b) => a - b);
    return (
      `${name}: ${total} subscriptions, ${o.samples} call events, ${o.watchers} NOTIFYs each; ${pinned}\n` +
      `  warm-up (not sampled), event -> last NOTIFY sent: ${warm.map((x) => `${x.toFixed(2)} ms`).join(', ') || 'none'}\n` +
      `  event -> last NOTIFY sent: median ${percentile(sent, 50).toFixed(2)} ms, p99 ${percentile(sent, 99).toFixed(2)} ms\n` +
      `  event -> last NOTIFY received: median ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms, ` +
      `max ${times.at(-1)!.toFixed(2)} ms\n` +
      `  server thread CPU per NOTIFY: ${cpuLine}\n` +
      `  memory per 1,000 subscriptions: ${((perSub * 1000) / 1024 / 1024).toFixed(2)} MiB ` +
      `(${(perSub / 1024).toFixed(2)} KiB each, V8 heap after GC)\n` +
      `  heap held right after the events, over the subscriptions' own (after GC; Timer K's 5 s not over): ` +
      `${(heldAfter / 1024 / 1024).toFixed(2)} MiB\n` +
      `  NOTIFY retransmissions seen (a 200 OK dropped by a full socket buffer): ${retransmitted}`
    );
  } finally {
    await r.close();
    await subs.close();
    await store.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      quick: { type: 'boolean' },
      smoke: { type: 'boolean' },
      samples: { type: 'string' },
      warmup: { type: 'string' },
      sockets: { type: 'string' },
      profile: { type: 'boolean' },
      'no-pin': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const smoke = values.smoke === true;
  const samples = Math.min(
    2000,
    Math.max(2, Number(values.samples ?? (smoke ? 4 : values.quick ? 20 : 100))),
  );
  const warmup = Math.min(20, Math.max(0, 2 * Math.floor(Number(values.warmup ?? 10) / 2)));
  const scale = smoke ? 10 : 1;
  const sockets = Math.min(64, Math.max(1, Number(values.sockets ?? 8)));
  // A watchdog so that nothing here can run unbounded.
  const watchdog = setTimeout(() => {
    console.error('bench:blf watchdog: giving up after 10 minutes');
    process.exit(2);
  }, 600_000);
  watchdog.unref();
  console.log(`BLF fan-out (node ${process.version}, UDP loopback, in-process, SQLite in memory)`);
  console.log('target: p99 from the event to the last NOTIFY on the wire < 20 ms');
  const profDir = values.profile ? mkdtempSync(join(tmpdir(), 'zentrale-bench-blf-prof-')) : undefined;
  const a = 1000 / scale;
  const b = 1000 / scale;
  const shapes = [
    { key: 'A', name: `A  ${a} watchers of one workplace`, workplaces: 1, watchers: a },
    { key: 'B', name: `B  ${b} workplaces x 10 watchers (${b * 10})`, workplaces: b, watchers: 10 },
  ];
  for (const sh of shapes) {
    const profile = profDir ? join(profDir, `${sh.key}.cpuprofile`) : undefined;
    console.log(
      await scenario(sh.name, {
        workplaces: sh.workplaces,
        watchers: sh.watchers,
        samples,
        warmup,
        sockets,
        pin: values['no-pin'] !== true,
        ...(profile ? { profile } : {}),
      }),
    );
    if (profile) {
      console.log(`CPU profile of ${sh.key}'s call events: ${profile}`);
      const root = fileURLToPath(new URL('..', import.meta.url));
      for (const line of formatProfile(summariseProfile(profile, root, 25))) console.log(line);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
