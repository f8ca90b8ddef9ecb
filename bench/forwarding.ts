// What forwarding costs a call: calls/s to a workplace without rules vs one that forwards always, in the same run.
//
//   npm run bench:forwarding                     # 4 rounds of 200 calls each way, 10 calls in flight
//   npm run bench:forwarding -- --calls 50       # shorter rounds, to try it out
//
// In process, loopback only: a whole Zentrale (src/cli/server.ts, fresh SQLite in a temp dir, log level warn) and
// two scripted phones of the project's own SIP stack (test/support/test-phone.ts, UDP, RTP socket idle). Tenant
// `bench`: 3000 calls; 3001 has no forwarding; 3002 forwards always to 3003; the answering phone is registered
// for both 3001 and 3003 (it answers at once). One call: INVITE -> 407 -> INVITE with credentials -> 200 -> ACK
// -> BYE -> 200. A round places `--calls` calls with `--parallel` in flight and counts completed calls per second
// of wall time; rounds alternate (plain, forwarded, plain, ...) so drift and warm-up hit both alike. The forwarded
// call costs the terminating service's plan (settings from memory), the diverted-to workplace's plan and the
// Diversion/History-Info headers: the difference between the two figures is that.
//
// Bounded: every call has a 10 s limit, the whole run --budget seconds (default 300); every phone and the server
// are stopped on every exit path.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { parseServeOptions } from '../src/cli/options.js';
import { startServer, type Server } from '../src/cli/server.js';
import { createLogger } from '../src/util/log.js';
import { TestPhone } from '../test/support/test-phone.js';

const DOMAIN = 'bench.zentrale.test';
const PASSWORD = `bench-Fwd-${randomBytes(6).toString('hex')}-x9`;

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '200' },
    parallel: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '4' },
    budget: { type: 'string', default: '300' },
  },
});
const CALLS = bounded('calls', values.calls, 1, 5000);
const PARALLEL = bounded('parallel', values.parallel, 1, 100);
const ROUNDS = bounded('rounds', values.rounds, 1, 20);
const BUDGET_MS = bounded('budget', values.budget, 10, 3600) * 1000;

function bounded(name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: ${min}..${max}`);
  return n;
}

const FILE = `tenants:
  - id: bench
    name: Bench
    domain: ${DOMAIN}
    workplaces:
      - { extension: '3000', name: Caller, devices: [{ username: '3000', password: '${PASSWORD}' }] }
      - { extension: '3001', name: Plain, devices: [{ username: '3001', password: '${PASSWORD}' }] }
      - extension: '3002'
        name: Forwarding
        forwarding: { always: '3003' }
      - { extension: '3003', name: Target, devices: [{ username: '3003', password: '${PASSWORD}' }] }
`;

async function round(
  caller: TestPhone,
  dial: string,
  deadline: number,
): Promise<{ perSecond: number; failed: number }> {
  let next = 0;
  let failed = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < CALLS && Date.now() < deadline) {
      next++;
      const r = await Promise.race([caller.dial(dial), sleep(10_000, undefined, { ref: false })]);
      if (!r || r.status !== 200 || !r.dialog) {
        failed++;
        continue;
      }
      await r.dialog.bye();
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: (next - failed) / seconds, failed };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-bench-fwd-'));
  const phones: TestPhone[] = [];
  let server: Server | undefined;
  const deadline = Date.now() + BUDGET_MS;
  try {
    writeFileSync(join(dir, 'bench.yaml'), FILE);
    const opts = parseServeOptions(
      [
        '--data',
        dir,
        '--sip',
        'udp:127.0.0.1:0',
        '--http',
        '127.0.0.1:0',
        '--provision',
        join(dir, 'bench.yaml'),
        '--log-level',
        'warn',
        '--rtp-ports',
        '40000-49999',
      ],
      {},
    );
    server = await startServer({ ...opts, logger: createLogger({ level: 'warn' }) });
    const udp = server.sip.transport.listening().find((l) => l.protocol === 'udp')!;
    const at = `${udp.address}:${udp.port}`;
    const open = async (user: string) => {
      const p = await TestPhone.open({ user, password: PASSWORD, domain: DOMAIN, server: at });
      phones.push(p);
      if ((await p.register()).status !== 200) throw new Error(`${user} did not register`);
      return p;
    };
    const caller = await open('3000');
    await open('3001');
    await open('3003');
    const results: Record<'plain' | 'forwarded', number[]> = { plain: [], forwarded: [] };
    let failures = 0;
    for (let i = 0; i < ROUNDS * 2 && Date.now() < deadline; i++) {
      const kind = i % 2 === 0 ? 'plain' : 'forwarded';
      const r = await round(caller, kind === 'plain' ? '3001' : '3002', deadline);
      failures += r.failed;
      results[kind].push(r.perSecond);
      console.log(
        `round ${i + 1}: ${kind.padEnd(9)} ${r.perSecond.toFixed(1)} calls/s${r.failed ? ` (${r.failed} failed)` : ''}`,
      );
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const plain = median(results.plain);
    const forwarded = median(results.forwarded);
    console.log(
      `\nmedian calls/s (${CALLS} calls per round, ${PARALLEL} in flight): without forwarding ${plain.toFixed(1)}, ` +
        `forwarded always ${forwarded.toFixed(1)} (${((forwarded / plain) * 100).toFixed(0)}%); failed calls: ${failures}`,
    );
    if (failures > 0) process.exitCode = 1;
  } finally {
    for (const p of phones) await p.close().catch(() => undefined);
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
