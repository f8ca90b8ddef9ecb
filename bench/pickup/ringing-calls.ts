/**
 * Cost of the pickup choice (src/features/pickup/ringing-calls.ts) with many calls ringing at once: feeding the
 * bus events and choosing for `*97` / `*98`. Run: node --import tsx bench/pickup/ringing-calls.ts
 */
import { performance } from 'node:perf_hooks';
import { RingingCalls } from '../../src/features/pickup/ringing-calls.js';

function run(tenants: number, perTenant: number, groupSize: number): void {
  const r = new RingingCalls();
  const t0 = performance.now();
  let at = 0;
  for (let t = 0; t < tenants; t++)
    for (let i = 0; i < perTenant; i++) {
      const ext = String(100 + (i % 500));
      r.apply({
        type: 'call.ringing',
        tenantId: `t${t}`,
        callId: `t${t}-c${i}`,
        at: at++,
        caller: { number: '+4930123456' },
        callee: { workplace: ext, number: ext },
      });
    }
  const feedMs = performance.now() - t0;
  const members = Array.from({ length: groupSize }, (_, i) => String(100 + i));
  const rounds = 2000;
  const t1 = performance.now();
  for (let k = 0; k < rounds; k++)
    r.chooseGroup(`t${k % tenants}`, members, '100', k % 2 ? 'oldest' : 'newest');
  const groupUs = ((performance.now() - t1) * 1000) / rounds;
  const t2 = performance.now();
  for (let k = 0; k < rounds; k++) r.chooseDirected(`t${k % tenants}`, String(100 + (k % 500)), 'newest');
  const directedUs = ((performance.now() - t2) * 1000) / rounds;
  const heapMb = process.memoryUsage().heapUsed / 1e6;
  console.log(
    `${tenants} tenants x ${perTenant} ringing calls: feed ${((feedMs * 1000) / (tenants * perTenant)).toFixed(2)} us/event, ` +
      `*98 (group of ${groupSize}) ${groupUs.toFixed(1)} us, *97 ${directedUs.toFixed(1)} us per choice, heap ${heapMb.toFixed(0)} MB`,
  );
}

run(100, 10, 20);
run(100, 100, 20);
run(10, 1000, 50);
