// HTTP API latency and event-stream fan-out of Zentrale.
//
//   npm run bench:api                  all three figures (about 20-40 s)
//   npm run bench:api -- --quick       fewer samples
//   npm run bench:api -- --help        all flags
//
// In one process, on 127.0.0.1 only: the real API (src/api: Fastify, sessions, validation, the event hub and
// WebSocket stream) over an in-memory SQLite store with one provisioned tenant. The phones and the SIP side are
// not part of it:
// - GET /api/v1/me: a logged-in user over keep-alive HTTP, one request at a time; p50/p99 of the round trip.
// - POST /api/v1/calls (starting a call): the same, against an in-process CallControl that answers at once. The
//   figure is the API's own cost (authentication, validation, routing, the answer), not the time a phone takes
//   to ring: that is the SIP side's, measured by bench:calls.
// - Fan-out: 1,000 WebSocket clients of one tenant (all concerned by the event) connected from a worker thread;
//   per sample one `call.ringing` is emitted on the bus at t0 and the worker records, per client, when the
//   message arrived. Reported: p50/p99 over all deliveries of (arrival - t0), and the main thread's V8 heap
//   (after forced GC) with all clients connected minus before, per connection: the server side of a connection
//   (the ws socket, the hub's client record), since the clients live in the worker's own heap.
//
// Bounded: every wait has a timeout; the clients, the worker, the server and the store are closed on exit.
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import Fastify from 'fastify';
import { Api } from '../src/api/api.js';
import type { CallControl, ControlResult } from '../src/core/calls/call-control-types.js';
import { Directory } from '../src/core/directory/directory.js';
import { EventBus } from '../src/core/events/event-bus.js';
import { parseProvisioning } from '../src/core/provisioning/parse.js';
import { applyProvisioning } from '../src/core/provisioning/plan.js';
import { Provisioner } from '../src/core/provisioning/provisioner.js';
import { AuthThrottle } from '../src/core/security/auth-throttle.js';
import { openStore } from '../src/store/open-store.js';
import { SystemClock } from '../src/util/clock.js';
import { createLogger } from '../src/util/log.js';

const USAGE = `usage: npm run bench:api -- [flags]
  --quick          200 requests per route, 20 fan-out samples (default 2000 / 100)
  --requests N     requests per HTTP route (10..100000)
  --clients N      WebSocket clients for the fan-out (default 1000)
  --samples N      events for the fan-out (2..2000)`;

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    requests: { type: 'string' },
    clients: { type: 'string', default: '1000' },
    samples: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const bounded = (v: string | undefined, dflt: number, min: number, max: number, name: string): number => {
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be ${min}..${max}`);
  return n;
};
const REQUESTS = bounded(flags.requests, flags.quick ? 200 : 2000, 10, 100_000, 'requests');
const CLIENTS = bounded(flags.clients, 1000, 1, 5000, 'clients');
const SAMPLES = bounded(flags.samples, flags.quick ? 20 : 100, 2, 2000, 'samples');
const WAIT_MS = 20_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = (): number => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};
const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const ms = (x: number) => `${x.toFixed(2)} ms`;

const FILE = `
tenants:
  - id: bench
    name: Bench
    domain: bench.zentrale.test
    workplaces:
      - extension: "100"
        name: Bench User
        webPassword: "Bench-Web-Pa55word"
        devices: [{ username: bench-desk, password: "Desk-Pa55-word-B" }]
`;

/** Call control that starts every call at once: the API's share of starting a call, nothing else. */
const ok = <T>(value: T): Promise<ControlResult<T>> => Promise.resolve({ ok: true, value });
let nextCall = 0;
const instantControl: CallControl = {
  callsOf: () => [],
  dial: () => ok({ callId: `c${++nextCall}` }),
  answer: () => ok(undefined),
  hangup: () => ok(undefined),
  hold: () => ok(undefined),
  resume: () => ok(undefined),
  blindTransfer: () => ok(undefined),
  consult: () => ok({ callId: 'c' }),
  completeTransfer: () => ok(undefined),
  dtmf: () => ok(undefined),
  pickup: () => ok({ callId: 'c' }),
  pull: () => ok({ callId: 'c' }),
};

/** The client side of the fan-out, in its own thread (and heap). Plain JS: workers do not go through tsx. */
const CLIENT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require(workerData.wsPath);
const now = () => performance.timeOrigin + performance.now();
const sockets = [];
let want = 0, got = 0, lat = [];
parentPort.on('message', async (m) => {
  if (m.cmd === 'connect') {
    for (let i = 0; i < m.n; i++) {
      const ws = new WebSocket(m.url, ['zentrale.v1', 'bearer.' + m.token]);
      ws.on('message', (d) => {
        const t = now();
        const msg = JSON.parse(d.toString());
        if (msg.type !== 'call.ringing') return;
        lat.push(t - Number(msg.data.callId.slice(6)));
        if (++got === want) { parentPort.postMessage({ done: lat }); lat = []; got = 0; }
      });
      await new Promise((res, rej) => { ws.once('message', res); ws.once('error', rej); });
      sockets.push(ws);
    }
    parentPort.postMessage({ connected: sockets.length });
  } else if (m.cmd === 'expect') { want = m.n; got = 0; lat = []; parentPort.postMessage({ ready: true }); }
  else if (m.cmd === 'close') {
    await Promise.all(sockets.map((ws) => new Promise((r) => { ws.once('close', r); ws.close(); })));
    parentPort.postMessage({ closed: true });
  }
});
`;

async function main(): Promise<void> {
  const store = await openStore('sqlite::memory:');
  await applyProvisioning(store, parseProvisioning(FILE, 'bench.yaml'));
  const clock = new SystemClock();
  const bus = new EventBus();
  const log = createLogger({ level: 'warn' });
  const directory = new Directory({ store: store.directory, clock });
  const api = new Api({
    store,
    clock,
    log,
    bus,
    throttle: new AuthThrottle({ clock }),
    directory,
    registrations: { lookup: () => [] },
    presence: { lampOf: () => 'idle' },
    callCenter: {
      groupsOf: async () => [],
      statusOf: async () => undefined,
      setStatus: async () => undefined,
      setLogin: async () => 'unknown-group',
      queue: async () => undefined,
    },
    provisioner: new Provisioner({ store }),
    calls: instantControl,
    // 1,000 clients on one loopback: allow each a few MiB before it counts as slow.
    streamMaxBuffered: 4 * 1_048_576,
  });
  const app = Fastify({ logger: false });
  api.register(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;
  let worker: Worker | undefined;
  try {
    const login = await fetch(`${base}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        domain: 'bench.zentrale.test',
        extension: '100',
        password: 'Bench-Web-Pa55word',
      }),
    });
    const token = ((await login.json()) as { token: string }).token;
    const auth = { authorization: `Bearer ${token}` };

    const timeRoute = async (name: string, run: () => Promise<Response>): Promise<void> => {
      for (let i = 0; i < Math.min(100, REQUESTS); i++) await (await run()).arrayBuffer(); // warm-up
      const t: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const s = performance.now();
        const r = await run();
        await r.arrayBuffer();
        t.push(performance.now() - s);
        if (r.status >= 300) throw new Error(`${name}: status ${r.status}`);
      }
      t.sort((a, b) => a - b);
      console.log(
        `${name.padEnd(34)} p50 ${ms(percentile(t, 50))}  p99 ${ms(percentile(t, 99))}  (${REQUESTS} requests)`,
      );
    };
    await timeRoute('GET /api/v1/me', () => fetch(`${base}/api/v1/me`, { headers: auth }));
    await timeRoute('POST /api/v1/calls (instant control)', () =>
      fetch(`${base}/api/v1/calls`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ device: 'bench-desk', to: '200' }),
      }),
    );

    // Fan-out.
    const heap0 = heapUsed();
    worker = new Worker(CLIENT_WORKER, {
      eval: true,
      workerData: { wsPath: createRequire(import.meta.url).resolve('ws') },
    });
    const w = worker;
    const reply = <T>(key: string): Promise<T> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker: no ${key} within ${WAIT_MS} ms`)), WAIT_MS);
        const on = (m: Record<string, unknown>) => {
          if (!(key in m)) return;
          clearTimeout(timer);
          w.off('message', on);
          resolve(m[key] as T);
        };
        w.on('message', on);
      });
    const connected = reply<number>('connected');
    w.postMessage({ cmd: 'connect', n: CLIENTS, url: `ws://127.0.0.1:${port}/api/v1/events`, token });
    await connected;
    const heap1 = heapUsed();
    const all: number[] = [];
    for (let s = 0; s < SAMPLES; s++) {
      const ready = reply<boolean>('ready');
      w.postMessage({ cmd: 'expect', n: CLIENTS });
      await ready;
      const done = reply<number[]>('done');
      const t0 = performance.timeOrigin + performance.now();
      bus.emit({
        type: 'call.ringing',
        tenantId: 'bench',
        callId: `bench-${t0}`,
        at: Date.now(),
        caller: { number: '+4930123456' },
        callee: { workplace: '100', number: '100' },
      });
      all.push(...(await done));
    }
    all.sort((a, b) => a - b);
    console.log(
      `fan-out to ${CLIENTS} WebSocket clients      p50 ${ms(percentile(all, 50))}  p99 ${ms(percentile(all, 99))}  ` +
        `(${SAMPLES} events, ${all.length} deliveries)`,
    );
    console.log(
      `memory per connection (server side)  ${((heap1 - heap0) / CLIENTS / 1024).toFixed(1)} KiB V8 heap ` +
        `(${api.streams()} streams open)`,
    );
    const closed = reply<boolean>('closed');
    w.postMessage({ cmd: 'close' });
    await closed;
  } finally {
    await worker?.terminate();
    api.close();
    await app.close();
    await store.close();
  }
}

await main();
