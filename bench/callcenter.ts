// Call-center dispatcher benchmark: 500 queued callers, 100 agents, in one tenant.
//
//   npm run bench:callcenter                  # every policy
//   npm run bench:callcenter -- longest-idle  # one policy
//
// Measures the runtime (src/features/callcenter/tenant-call-center.ts: queue, agent state, the one dispatcher over
// planDispatch) in process, without SIP or media: callers and agents are stand-ins that answer at once. What it
// shows is the cost of the distribution decision itself, which is what grows with queue and team size.
//
// 1. latency: all 500 callers wait, all 100 agents are Signed out; agents become Available one by one and we time
//    from setStatus('available') to the offer reaching the caller (it happens inside that call: one dispatch).
// 2. throughput: all 100 agents Available and answering at once, each queue call hung up as soon as it is
//    connected (no wrap-up), until all 500 callers were connected; calls distributed per second of wall time.

import { performance } from 'node:perf_hooks';
import { EventBus } from '../src/core/events/event-bus.js';
import type { GroupRecord } from '../src/store/callcenter-store.js';
import type { QueueCaller, QueueOfferResult } from '../src/features/callcenter/queue-port.js';
import { TenantCallCenter } from '../src/features/callcenter/tenant-call-center.js';
import { FakeClock } from '../src/util/clock.js';
import { silentLogger } from '../src/util/log.js';

const CALLERS = 500;
const AGENTS = 100;
const POLICIES = ['circular', 'linear', 'simultaneous', 'longest-idle', 'weighted'];

class BenchCaller implements QueueCaller {
  readonly caller;
  offeredAt = 0;
  #ended: Array<() => void> = [];
  constructor(
    readonly id: string,
    readonly answer: boolean,
  ) {
    this.caller = { number: id };
  }
  entrance(): void {}
  comfort(): void {}
  transferTo(): void {}
  busy(): void {}
  offer(agents: readonly string[]): { result: Promise<QueueOfferResult>; cancel(): void } {
    this.offeredAt = performance.now();
    const result = this.answer
      ? Promise.resolve<QueueOfferResult>({
          outcome: 'answered',
          answeredBy: agents[0]!,
          declinedBy: [],
          unreachable: [],
        })
      : new Promise<QueueOfferResult>(() => undefined);
    if (this.answer) void result.then(() => queueMicrotask(() => this.hangUp()));
    return { result, cancel: () => undefined };
  }
  onEnded(cb: () => void): void {
    this.#ended.push(cb);
  }
  hangUp(): void {
    for (const cb of this.#ended.splice(0)) cb();
  }
}

function setup(policy: string): TenantCallCenter {
  const agents = Array.from({ length: AGENTS }, (_, i) => ({
    extension: String(1000 + i),
    weight: 1 + (i % 3),
  }));
  const group: GroupRecord = {
    tenantId: 'bench',
    extension: '600',
    name: 'Bench',
    policy,
    agents,
    allowAgentLogin: false,
    ringTimeoutS: 15,
    wrapUpS: 0,
    maxQueue: 525,
    maxWaitS: 86_400,
    overflow: 'busy',
    music: 'default',
    comfortEveryS: 0,
    priority: 0,
    missesBeforeUnavailable: 0,
  };
  const cc = new TenantCallCenter({
    tenantId: 'bench',
    clock: new FakeClock(),
    bus: new EventBus(),
    log: silentLogger(),
    persist: { status: async () => undefined, login: async () => undefined },
  });
  cc.configure({
    groups: [group],
    statuses: [],
    logins: [],
    withPackage: new Set(agents.map((a) => a.extension)),
  });
  return cc;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function latency(policy: string): Promise<{ median: number; p99: number }> {
  const cc = setup(policy);
  const callers = Array.from(
    { length: CALLERS },
    (_, i) => new BenchCaller(`c${String(i).padStart(4, '0')}`, false),
  );
  for (const c of callers) cc.enqueue('600', c);
  const samples: number[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const t0 = performance.now();
    cc.setStatus(String(1000 + i), 'available');
    const offered = callers.find((c) => c.offeredAt >= t0);
    if (!offered) throw new Error(`agent ${1000 + i} got no call`);
    samples.push(offered.offeredAt - t0);
  }
  samples.sort((a, b) => a - b);
  return { median: pct(samples, 50), p99: pct(samples, 99) };
}

async function throughput(policy: string): Promise<number> {
  const cc = setup(policy);
  const callers = Array.from(
    { length: CALLERS },
    (_, i) => new BenchCaller(`c${String(i).padStart(4, '0')}`, true),
  );
  for (const c of callers) cc.enqueue('600', c);
  const t0 = performance.now();
  for (let i = 0; i < AGENTS; i++) cc.setStatus(String(1000 + i), 'available');
  // Bounded wait: every caller connected and hung up, or give up after 60 s.
  for (let spins = 0; cc.size() > 0; spins++) {
    if (performance.now() - t0 > 60_000) throw new Error(`stuck with ${cc.size()} calls`);
    await new Promise((r) => setImmediate(r));
  }
  const s = cc.stats('600')!;
  if (s.answered !== CALLERS) throw new Error(`answered ${s.answered} of ${CALLERS}`);
  return CALLERS / ((performance.now() - t0) / 1000);
}

const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const policies = only.length > 0 ? only : POLICIES;
console.log(
  `call-center dispatcher: ${CALLERS} queued callers, ${AGENTS} agents, one group (runtime only, no SIP)`,
);
console.log('policy         available→offered median   p99       calls distributed/s');
for (const p of policies) {
  await latency(p); // warm-up
  const l = await latency(p);
  const tp = await throughput(p);
  console.log(
    `${p.padEnd(14)} ${l.median.toFixed(3).padStart(10)} ms ${l.p99.toFixed(3).padStart(12)} ms ${tp.toFixed(0).padStart(12)}`,
  );
}
