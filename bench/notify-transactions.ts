// The transaction layer's own cost of a NOTIFY fan-out, without sockets: per round, 1,000 raw requests started
// (sendRawRequest) and their 200s taken in (receiveSummary, with branch strings made fresh as if read from the
// wire), through a sender that writes nothing. Two ways of matching the 200s: `slot` (the branch names the slot
// of its transaction, TransactionLayer.rawBranch, what dialogs use) and `map` (a plain branch: the layer's Map).
//
//   node --max-semi-space-size=32 --import tsx bench/notify-transactions.ts            both, alternating
//   node --max-semi-space-size=32 --import tsx bench/notify-transactions.ts --rounds 1000
//
// Prints median and p99 wall time per round (1,000 round trips) after a warm-up; the p99 includes the scavenges
// the allocations cause. Bounded: a fixed number of rounds.
import { parseArgs } from 'node:util';
import { newBranch } from '../src/sip/transaction/branch.js';
import { TransactionLayer } from '../src/sip/transaction/transaction-layer.js';
import type { MessageSender } from '../src/sip/transaction/types.js';
import type { Flow } from '../src/sip/transport/types.js';
import { SystemClock } from '../src/util/clock.js';

const sender: MessageSender = {
  sendRequest: () => true,
  sendResponse: () => true,
  sendRaw: () => true,
};
const flow: Flow = {
  protocol: 'udp',
  local: { address: '127.0.0.1', port: 5060 },
  remote: { address: '127.0.0.1', port: 5062 },
};
const handlers = {
  onResponse: () => undefined,
  onTimeout: () => undefined,
  onTransportError: () => undefined,
};
const bytes = Buffer.alloc(900, 0x41);

function run(kind: 'slot' | 'map', rounds: number): { median: number; p99: number } {
  // Timer K short, so the completed hashes of earlier rounds expire as in a long-running server.
  const layer = new TransactionLayer({
    clock: new SystemClock(),
    sender,
    tu: { onRequest: () => undefined },
    timers: { T4: 100 },
  });
  const times: number[] = [];
  const branches: string[] = new Array<string>(1000);
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < 1000; i++) {
      const branch = kind === 'slot' ? layer.rawBranch() : newBranch();
      branches[i] = branch;
      layer.sendRawRequest({ method: 'NOTIFY', callId: 'bench', branch, bytes }, flow, handlers);
    }
    for (let i = 0; i < 1000; i++) {
      const fresh = ` ${branches[i]!}`.slice(1);
      layer.receiveSummary({ status: 200, reason: 'OK', branch: fresh, method: 'NOTIFY', callId: 'bench' });
    }
    times.push(performance.now() - t);
  }
  layer.close();
  const steady = times.slice(Math.floor(rounds / 5)).sort((a, b) => a - b);
  return {
    median: steady[steady.length >> 1]!,
    p99: steady[Math.min(steady.length - 1, Math.floor(steady.length * 0.99))]!,
  };
}

const { values } = parseArgs({ options: { rounds: { type: 'string' } } });
const rounds = Math.min(20_000, Math.max(50, Number(values.rounds ?? 3000)));
console.log(`NOTIFY transactions without sockets (node ${process.version}), ${rounds} rounds of 1,000`);
for (let pass = 0; pass < 2; pass++)
  for (const kind of ['map', 'slot'] as const) {
    const { median, p99 } = run(kind, rounds);
    console.log(
      `  ${kind === 'slot' ? 'slot in the branch' : 'Map by key       '}: median ${median.toFixed(2)} ms, ` +
        `p99 ${p99.toFixed(2)} ms per 1,000 (${median.toFixed(2)} µs per NOTIFY round trip)`,
    );
  }
