// BLF fan-out of Zentrale: how long from a call event to the last NOTIFY, and how much memory a subscription costs.
//
//   npm run bench:blf                  both scenarios (about 30-60 s)
//   npm run bench:blf -- --quick       fewer events per scenario
//   npm run bench:blf -- --help        all flags
//
// In one process, on 127.0.0.1 only: the real notifier (src/features/presence/blf-notifier.ts and the subscription
// service, src/core/subscriptions) on a real SIP stack
// and UA core over UDP, an in-memory SQLite store (the write-behind persistence runs as in production), and a
// subscriber side of plain UDP sockets that answers every NOTIFY with 200. Digest authentication is left out (the
// SUBSCRIBEs go straight to the notifier as from an authenticated device): it is per subscription, not per event.
//
// Scenario A: 1,000 subscriptions watching one workplace. Scenario B: 1,000 workplaces, each watched by 10
// subscriptions (10,000). Per sample: one call event (`call.ringing`, then `call.ended` for the same call, one
// sample each) on the bus path (notifier.onEvent) at t0; done when the subscriber sockets have received the NOTIFY
// of that event from every watcher. Reported: median and p99 of (last NOTIFY received - t0), which bounds "last
// NOTIFY sent" from above (loopback adds microseconds). Memory per subscription: V8 heap (after forced GC) with
// all subscriptions live minus before any, divided by their number; it includes the UA dialog, the notifier's
// state and the document versions.
//
// Bounded: every wait has a timeout; every socket and the stack are closed on exit (also on error).
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
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
import type { DeviceRecord, Store, TenantRecord } from '../src/store/types.js';
import { SystemClock } from '../src/util/clock.js';
import { createLogger } from '../src/util/log.js';

const USAGE = `usage: npm run bench:blf -- [flags]
  --quick          20 samples per scenario (default 100)
  --smoke          a short run for CI: 4 samples, A with 100 watchers, B with 100 workplaces x 10
  --samples N      call events per scenario (2..2000)
  --sockets N      subscriber UDP sockets (default 8)`;

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

/** Plain UDP phones: send SUBSCRIBEs, answer every NOTIFY with 200, count them. */
class Subscribers {
  readonly #socks: Socket[] = [];
  readonly #pending = new Map<string, () => void>();
  /** Call-ID → CSeq of the last NOTIFY counted: a retransmission (our 200 lost) is answered, not counted. */
  readonly #seen = new Map<string, number>();
  notifies = 0;
  retransmitted = 0;
  #waiter: { n: number; resolve: () => void } | undefined;

  async open(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const s = createSocket('udp4');
      s.on('message', (m: Buffer, from) => this.#onMessage(s, m, from));
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
      try {
        s.setRecvBufferSize(8 * 1024 * 1024);
      } catch {
        // capped by net.core.rmem_max; retransmissions then show in the tail latency
      }
      this.#socks.push(s);
    }
  }

  close(): Promise<void> {
    return Promise.all(this.#socks.map((s) => new Promise<void>((r) => s.close(() => r())))).then(
      () => undefined,
    );
  }

  /** One SUBSCRIBE from socket `i`; resolves on its 200. */
  subscribe(i: number, server: { address: string; port: number }, ext: string): Promise<void> {
    const s = this.#socks[i % this.#socks.length]!;
    const callId = randomBytes(8).toString('hex');
    const port = s.address().port;
    const text =
      `SUBSCRIBE sip:${ext}@${TENANT.domain} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport\r\n` +
      `From: <sip:watcher@${TENANT.domain}>;tag=${randomBytes(4).toString('hex')}\r\n` +
      `To: <sip:${ext}@${TENANT.domain}>\r\nCall-ID: ${callId}\r\nCSeq: 1 SUBSCRIBE\r\n` +
      `Contact: <sip:watcher@127.0.0.1:${port}>\r\nMax-Forwards: 70\r\nEvent: dialog\r\nExpires: 3600\r\n` +
      'Content-Length: 0\r\n\r\n';
    // Like a phone over UDP: the same request again every 500 ms until answered (RFC 3261 17.1.2.2, bounded).
    return new Promise((resolve, reject) => {
      const resend = setInterval(() => s.send(text, server.port, server.address), 500);
      const timer = setTimeout(() => {
        clearInterval(resend);
        reject(new Error(`no 200 for SUBSCRIBE ${callId}`));
      }, WAIT_MS);
      this.#pending.set(callId, () => {
        clearTimeout(timer);
        clearInterval(resend);
        resolve();
      });
      s.send(text, server.port, server.address);
    });
  }

  /** Drops the retransmission bookkeeping (so it does not count as the server's memory). */
  forget(): void {
    this.#seen.clear();
  }

  /** Resolves once `n` NOTIFYs in all have arrived (bounded). */
  until(n: number): Promise<void> {
    if (this.notifies >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${this.notifies} of ${n} NOTIFYs within ${WAIT_MS} ms`)),
        WAIT_MS,
      );
      this.#waiter = {
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }

  #onMessage(s: Socket, m: Buffer, from: { address: string; port: number }): void {
    // Header lines only, split by hand: the phones' side should cost the shared CPU as little as possible.
    const text = m.toString('latin1');
    const head = text.slice(0, text.indexOf('\r\n\r\n'));
    const lines = head.split('\r\n');
    const get = (name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    const value = (l: string | undefined) => (l === undefined ? '' : l.slice(l.indexOf(':') + 1).trim());
    const callId = value(get('Call-ID')[0]);
    if (lines[0]!.startsWith('SIP/2.0 ')) {
      if (Number(lines[0]!.slice(8, 11)) >= 200) {
        this.#pending.get(callId)?.();
        this.#pending.delete(callId);
      }
      return;
    }
    if (!lines[0]!.startsWith('NOTIFY ')) return;
    const cseqLine = value(get('CSeq')[0]);
    const reply =
      'SIP/2.0 200 OK\r\n' +
      get('Via').join('\r\n') +
      `\r\n${get('From')[0]}\r\n${get('To')[0]}\r\nCall-ID: ${callId}\r\nCSeq: ${cseqLine}\r\nContent-Length: 0\r\n\r\n`;
    s.send(reply, from.port, from.address);
    const cseq = Number(cseqLine.split(' ')[0]);
    if ((this.#seen.get(callId) ?? -1) >= cseq) {
      this.retransmitted++;
      return;
    }
    this.#seen.set(callId, cseq);
    this.notifies++;
    const w = this.#waiter;
    if (w && this.notifies >= w.n) {
      this.#waiter = undefined;
      w.resolve();
    }
  }
}

/** performance.now() when the UA core last handed a NOTIFY to the transport (the request is sent synchronously). */
let lastSent = 0;

interface Rig {
  notifier: BlfNotifier;
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
      const request = d.request.bind(d);
      d.request = (method, opts) => {
        const p = request(method, opts);
        lastSent = performance.now();
        return p;
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
    close: async () => {
      notifier.stop();
      await subscriptions.stop();
      ua.close();
      await stack.stop();
    },
  };
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
  o: { workplaces: number; watchers: number; samples: number; sockets: number },
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
  const subs = new Subscribers();
  await subs.open(o.sockets);
  const r = await rig(store);
  try {
    const total = o.workplaces * o.watchers;
    const before = heapUsed();
    // Subscribe in batches of 50 (bounded in flight), then wait for every initial NOTIFY.
    for (let i = 0; i < total; i += 50) {
      const batch: Array<Promise<void>> = [];
      for (let j = i; j < Math.min(total, i + 50); j++)
        batch.push(subs.subscribe(j, r.server, exts[j % o.workplaces]!));
      await Promise.all(batch);
    }
    await subs.until(total);
    await new Promise((res) => setTimeout(res, 300));
    subs.forget();
    const perSub = (heapUsed() - before) / total;
    if (r.notifier.count() !== total) throw new Error(`${r.notifier.count()} of ${total} subscriptions live`);

    const times: number[] = [];
    const sent: number[] = [];
    let expected = subs.notifies;
    for (let s = 0; s < o.samples; s++) {
      const ext = exts[s % o.workplaces]!;
      const callId = `c${Math.floor(s / 2)}`;
      expected += o.watchers;
      const t0 = performance.now();
      r.notifier.onEvent(event(s % 2 === 0 ? 'call.ringing' : 'call.ended', callId, ext));
      await subs.until(expected);
      times.push(performance.now() - t0);
      sent.push(lastSent - t0);
    }
    times.sort((a, b) => a - b);
    sent.sort((a, b) => a - b);
    return (
      `${name}: ${total} subscriptions, ${o.samples} call events, ${o.watchers} NOTIFYs each\n` +
      `  event -> last NOTIFY sent: median ${percentile(sent, 50).toFixed(2)} ms, p99 ${percentile(sent, 99).toFixed(2)} ms\n` +
      `  event -> last NOTIFY received: median ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms, ` +
      `max ${times.at(-1)!.toFixed(2)} ms\n` +
      `  memory per subscription: ${(perSub / 1024).toFixed(2)} KiB (V8 heap after GC)\n` +
      `  NOTIFY retransmissions seen (a 200 OK dropped by a full socket buffer): ${subs.retransmitted}`
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
      sockets: { type: 'string' },
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
  const a = 1000 / scale;
  console.log(
    await scenario(`A  ${a} watchers of one workplace`, { workplaces: 1, watchers: a, samples, sockets }),
  );
  const b = 1000 / scale;
  console.log(
    await scenario(`B  ${b} workplaces x 10 watchers (${b * 10})`, {
      workplaces: b,
      watchers: 10,
      samples,
      sockets,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
