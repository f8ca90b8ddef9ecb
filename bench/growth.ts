// How REGISTER latency and memory grow with the number of registered devices: 1k -> 10k -> 50k.
//
//   npm run bench:growth                       steps 1000, 10000, 50000 (about 1-3 minutes on a quiet machine)
//   npm run bench:growth -- --quick            steps 500, 2000 (the smoke run CI can afford, ~20 s)
//   npm run bench:growth -- --steps 1000,5000 --window 50
//
// In one process, on 127.0.0.1 only, per step on a fresh in-memory SQLite store with N provisioned devices: the
// real registrar path — SIP stack over UDP, UA core, PbxSipService, RequestAuthenticator with digest (MD5,
// qop=auth), Directory (HA1 cache), Registrar and LocationService with its write-behind — and a phone side of
// plain UDP sockets in this same process that registers every device once: REGISTER -> 401 -> REGISTER with
// Authorization -> 200, `--window` registrations in flight. Latency of a registration: first REGISTER sent to
// its 200 received (both transactions). Memory: V8 heap after forced GC and RSS, after all registrations were
// written and their transactions ended (T1 = 20 ms, so Timer J is 1.3 s), minus the same before any registration;
// per registered device that is the binding, the cached credentials and the nonce's replay entry.
// The phones' CPU (digest computation, parsing) is in the same process and counts against the server, also in
// "CPU ms/reg" (process CPU time over the step / registrations), which unlike reg/s holds up on a busy machine.
//
// Bounded: every step has a deadline (`--step-timeout`), every socket, the stack and the store are closed.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Directory } from '../src/core/directory/directory.js';
import { LocationService } from '../src/core/registrar/location-service.js';
import { Registrar } from '../src/core/registrar/registrar.js';
import { AuthThrottle } from '../src/core/security/auth-throttle.js';
import { RequestAuthenticator } from '../src/core/security/request-authenticator.js';
import { PbxSipService } from '../src/core/sip-service.js';
import { digestAuthorization } from '../src/sip/auth/digest-client.js';
import { DigestAuthenticator } from '../src/sip/auth/digest.js';
import { computeHa1 } from '../src/sip/auth/ha1.js';
import { parseMessage } from '../src/sip/message/parser.js';
import { SipStack } from '../src/sip/stack.js';
import { UserAgentCore } from '../src/sip/ua/index.js';
import { openStore } from '../src/store/open-store.js';
import { SystemClock } from '../src/util/clock.js';
import { createLogger } from '../src/util/log.js';

const USAGE = `usage: npm run bench:growth -- [flags]
  --quick              steps 500,2000
  --steps LIST         device counts, comma separated (default 1000,10000,50000; each at most 100000)
  --window N           registrations in flight (default 20)
  --sockets N          phone-side UDP sockets (default 8)
  --step-timeout S     deadline per step's registrations (default 240)`;

const DOMAIN = 'growth.zentrale.test';
const PASSWORD = 'Growth-Bench-Pa55word-x9';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function memory(): { heap: number; rss: number } {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface StepResult {
  devices: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  heapPerDevice: number;
  rssPerDevice: number;
  heapMb: number;
  rssMb: number;
  /** CPU time of this process (server and phones) per registration. */
  cpuMs: number;
}

/** Plain UDP phones: one registration at a time per Call-ID, answered by digest on the 401. */
class Phones {
  readonly #socks: Socket[] = [];
  readonly #waiting = new Map<string, { user: string; t0: number; done: (ms: number) => void }>();
  #target = { address: '127.0.0.1', port: 0 };
  #seq = 0;

  async open(n: number, target: { address: string; port: number }): Promise<void> {
    this.#target = target;
    for (let i = 0; i < n; i++) {
      const s = createSocket('udp4');
      s.on('message', (m: Buffer, from: RemoteInfo) => this.#onMessage(s, m, from));
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
      this.#socks.push(s);
    }
  }

  register(user: string): Promise<number> {
    const callId = `g${++this.#seq}-${user}`;
    const sock = this.#socks[this.#seq % this.#socks.length]!;
    return new Promise((resolve) => {
      this.#waiting.set(callId, { user, t0: performance.now(), done: resolve });
      this.#send(sock, user, callId, 1, undefined);
    });
  }

  #send(sock: Socket, user: string, callId: string, cseq: number, auth: [string, string] | undefined): void {
    const port = sock.address().port;
    const text =
      `REGISTER sip:${DOMAIN} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${callId}-${cseq};rport\r\n` +
      `Max-Forwards: 70\r\nFrom: <sip:${user}@${DOMAIN}>;tag=t${callId}\r\nTo: <sip:${user}@${DOMAIN}>\r\n` +
      `Call-ID: ${callId}\r\nCSeq: ${cseq} REGISTER\r\n` +
      `Contact: <sip:${user}@127.0.0.1:${port}>\r\nExpires: 3600\r\n` +
      (auth ? `${auth[0]}: ${auth[1]}\r\n` : '') +
      `Content-Length: 0\r\n\r\n`;
    sock.send(text, this.#target.port, this.#target.address);
  }

  #onMessage(sock: Socket, m: Buffer, _from: RemoteInfo): void {
    const parsed = parseMessage(m);
    if (!parsed.ok || parsed.message.type !== 'response') return;
    const res = parsed.message;
    const callId = res.headers.get('Call-ID') ?? '';
    const w = this.#waiting.get(callId);
    if (!w) return;
    if (res.status === 401) {
      const auth = digestAuthorization(
        res,
        { method: 'REGISTER', uri: `sip:${DOMAIN}` },
        { username: w.user, password: PASSWORD },
      );
      if (auth) this.#send(sock, w.user, callId, 2, auth);
      return;
    }
    this.#waiting.delete(callId);
    w.done(res.status === 200 ? performance.now() - w.t0 : -res.status);
  }

  close(): void {
    for (const s of this.#socks) s.close();
  }
}

async function step(devices: number, window: number, sockets: number, timeoutS: number): Promise<StepResult> {
  const clock = new SystemClock();
  const log = createLogger({ level: 'silent' });
  const store = await openStore('sqlite::memory:');
  const ha1Md5 = (u: string) => computeHa1('MD5', u, DOMAIN, PASSWORD);
  const ha1Sha256 = (u: string) => computeHa1('SHA-256', u, DOMAIN, PASSWORD);
  const users = Array.from({ length: devices }, (_, i) => String(100_000 + i));
  await store.transaction(async (tx) => {
    await tx.provisioning.upsertTenant({ id: 'growth', name: 'Growth', domain: DOMAIN });
    for (const u of users) {
      await tx.provisioning.upsertWorkplace({
        tenantId: 'growth',
        extension: u,
        name: `W ${u}`,
        email: null,
        language: 'en',
        packages: [],
      });
      await tx.provisioning.upsertDevice({
        tenantId: 'growth',
        username: u,
        workplaceExtension: u,
        kind: 'deskphone',
        ha1Md5: ha1Md5(u),
        ha1Sha256: ha1Sha256(u),
      });
    }
  });
  const directory = new Directory({ store: store.directory, clock });
  const location = new LocationService({
    store: store.registrations,
    clock,
  });
  await location.start();
  const auth = new RequestAuthenticator({
    digest: new DigestAuthenticator({ clock, algorithms: ['MD5'], maxTrackedNonces: devices * 2 + 1000 }),
    directory,
    // One source registers every device: the flood protection would rightly stop it.
    throttle: new AuthThrottle({ clock, challengeThreshold: 10_000_000, sourceThreshold: 10_000_000 }),
    log,
  });
  const registrar = new Registrar({ location, minExpires: 60, maxExpires: 3600, now: () => clock.now() });
  const service = new PbxSipService({ auth, registrar, log });
  const ref: { ua?: UserAgentCore } = {};
  const timers = { T1: 20, T2: 160, T4: 200 };
  const stack = new SipStack({
    listen: [{ protocol: 'udp', address: '127.0.0.1', port: 0 }],
    clock,
    tu: { onRequest: (tx) => ref.ua?.onRequest(tx), onAck: (r, f) => ref.ua?.onAck(r, f) },
    maxTransactions: 10_000_000,
    timers,
  });
  await stack.start();
  ref.ua = new UserAgentCore({
    clock,
    transactions: stack.transactions,
    sender: stack,
    localEndpoint: (p) => stack.transport.localEndpoint(p),
    timers,
    app: { onRequest: (tx) => service.onRequest(tx) },
  });
  const l = stack.transport.listening()[0]!;
  const phones = new Phones();
  await phones.open(sockets, { address: l.address, port: l.port });
  try {
    await sleep(300);
    const before = memory();
    const latencies: number[] = [];
    let failed = 0;
    let next = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const deadline = Date.now() + timeoutS * 1000;
    const worker = async () => {
      while (next < users.length && Date.now() < deadline) {
        const u = users[next++]!;
        const ms = await Promise.race([phones.register(u), sleep(10_000).then(() => -408)]);
        if (ms < 0) failed++;
        else latencies.push(ms);
      }
    };
    await Promise.all(Array.from({ length: window }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (failed > 0 || latencies.length < devices)
      throw new Error(
        `${devices} devices: ${failed} failed, ${latencies.length} registered in ${seconds.toFixed(1)} s`,
      );
    await location.flush();
    // Transactions end (Timer J = 64 T1 = 1.3 s) so that only what stays per device is counted.
    for (let i = 0; i < 50 && stack.transactions.counts().server > 0; i++) await sleep(200);
    const after = memory();
    latencies.sort((a, b) => a - b);
    return {
      devices,
      seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1]!,
      heapPerDevice: (after.heap - before.heap) / devices,
      rssPerDevice: (after.rss - before.rss) / devices,
      heapMb: after.heap / 2 ** 20,
      rssMb: after.rss / 2 ** 20,
      cpuMs: (cpu.user + cpu.system) / 1000 / devices,
    };
  } finally {
    phones.close();
    await stack.stop();
    await location.stop();
    await store.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      steps: { type: 'string' },
      window: { type: 'string' },
      sockets: { type: 'string' },
      'step-timeout': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const steps = (values.steps ?? (values.quick ? '500,2000' : '1000,10000,50000'))
    .split(',')
    .map((s) => Number(s.trim()));
  if (steps.some((n) => !Number.isInteger(n) || n < 1 || n > 100_000)) throw new Error(USAGE);
  const window = Math.min(1000, Math.max(1, Number(values.window ?? 20)));
  const sockets = Math.min(64, Math.max(1, Number(values.sockets ?? 8)));
  const timeoutS = Math.min(600, Math.max(5, Number(values['step-timeout'] ?? 240)));
  console.log(
    `bench:growth - REGISTER with digest (MD5, qop=auth) over UDP on 127.0.0.1, ${window} in flight, ` +
      `phones in the same process (node ${process.version})`,
  );
  console.log(
    '  devices   reg/s   p50 ms   p99 ms   max ms   CPU ms/reg   heap/device   RSS/device   heap MiB/1k reg   RSS MiB/1k reg   heap MB   RSS MB',
  );
  for (const n of steps) {
    const r = await step(n, window, sockets, timeoutS);
    console.log(
      `  ${String(r.devices).padStart(7)} ${(r.devices / r.seconds).toFixed(0).padStart(7)} ` +
        `${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${r.max.toFixed(1).padStart(8)} ` +
        `${r.cpuMs.toFixed(3).padStart(12)} ` +
        `${(r.heapPerDevice / 1024).toFixed(2).padStart(9)} KiB ${(r.rssPerDevice / 1024).toFixed(2).padStart(8)} KiB ` +
        `${((r.heapPerDevice * 1000) / 2 ** 20).toFixed(2).padStart(17)} ${((r.rssPerDevice * 1000) / 2 ** 20).toFixed(2).padStart(16)} ` +
        `${r.heapMb.toFixed(0).padStart(9)} ${r.rssMb.toFixed(0).padStart(8)}`,
    );
  }
  console.log(
    '  (per device: after all registrations were written and their transactions ended, minus before any; ' +
      'RSS per device is noisy below 10k devices)',
  );
}

const watchdog = setTimeout(() => {
  console.error('bench:growth: watchdog fired after 20 minutes');
  process.exit(2);
}, 20 * 60_000);
watchdog.unref();
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
