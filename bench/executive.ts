// The added cost of executive filtering on the call path: the same calls, in the same run, to a plain workplace
// and to an executive whose filter sends them to its assistant (the terminating service builds the ring plan:
// config and runtime switches looked up, "call for" display, Diversion and History-Info on the INVITE).
//
//   npm run bench:executive                  400 calls per round at 40/s, 2 rounds of each (about 1 minute)
//   npm run bench:executive -- --calls 1000 --rate 100 --rounds 3
//   npm run bench:executive -- --help
//
// Set-up: tenant `bench` with 2000 (caller), 2001 (the assistant: a sipp UAS registered from one port, answering
// every INVITE) and 2002 (the executive, filtering all, no phone of its own, no rollover). Zentrale runs from src/
// through tsx (`serve --log-level warn`). Rounds alternate plain (dial 2001) and filtered (dial 2002) so drift on
// a shared machine hits both alike. Per round: calls completed, calls/s sipp achieved, and the server's CPU time
// per call (/proc, user+system). The SDPs name an idle socket of this process: no RTP flows, only signalling and
// port allocation are measured. Loopback only; every wait is bounded; everything started is stopped on every
// exit path. A first, uncounted round warms up both paths.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freeUdpPort, ZentralePeer } from './lib/peers.js';
import { ProcessRegistry, sleep } from './lib/procs.js';
import { parseSippOutput, SIPP } from './lib/sipp.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCEN = join(ROOT, 'bench', 'scenarios');
const DOMAIN = 'bench.zentrale.test';
const TICK_MS = 10; // USER_HZ = 100 on Linux

const USAGE = `usage: npm run bench:executive -- [--calls N] [--rate R] [--rounds K] [--hold MS] [--rtp-ports A-B]`;

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '400' },
    rate: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '2' },
    hold: { type: 'string', default: '200' },
    'rtp-ports': { type: 'string', default: '40000-41999' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const int = (name: string, v: string, min: number, max: number): number => {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new Error(`--${name}: expected ${min}..${max}, got "${v}"`);
  return Number(v);
};
const CALLS = int('calls', values.calls, 10, 20_000);
const RATE = int('rate', values.rate, 1, 500);
const ROUNDS = int('rounds', values.rounds, 1, 10);
const HOLD = int('hold', values.hold, 0, 10_000);

const registry = new ProcessRegistry();
const onSignal = (): void => {
  void registry.stopAll().finally(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('exit', () => registry.killAllNow());

function provisioning(password: string): string {
  const wp = (ext: string, name: string, extra = '') =>
    `      - { extension: "${ext}", name: ${name}, packages: [assistant]${extra}, devices: [{ username: "${ext}", password: "${password}" }] }`;
  return [
    'tenants:',
    '  - id: bench',
    '    name: Bench',
    `    domain: ${DOMAIN}`,
    '    workplaces:',
    wp('2000', 'Caller'),
    wp('2001', 'Assistant'),
    wp('2002', 'Executive'),
    '    executives:',
    '      - { executive: "2002", assistants: ["2001"], filtering: all, rolloverSeconds: 0 }',
    '',
  ].join('\n');
}

/** One sipp process to completion (bounded); its final screens and exit code. */
async function sipp(dir: string, label: string, args: string[], hardMs: number) {
  const out = join(dir, `sipp-${label}.out`);
  const fd = openSync(out, 'w');
  const child = registry.spawn({ name: `sipp-${label}`, cmd: SIPP, args, output: fd });
  closeSync(fd);
  if (!(await registry.waitExit(child, hardMs))) await registry.stop(child, 3_000, 'SIGINT');
  const text = readFileSync(out, 'utf8');
  return { code: child.exitCode, counts: parseSippOutput(text), text };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-bench-exec-'));
  const password = `bench-${randomBytes(9).toString('base64url')}`;
  const file = join(dir, 'bench.yaml');
  writeFileSync(file, provisioning(password));
  const sink = createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  const mport = String(sink.address().port);
  const server = new ZentralePeer({
    registry,
    root: ROOT,
    workDir: dir,
    provisionFile: file,
    entry: ['--import', 'tsx', 'src/cli/main.ts'],
    entryLabel: 'src/ through tsx',
    extraServeArgs: ['--rtp-ports', values['rtp-ports']],
    cpuProfDir: undefined,
  });
  try {
    await server.start();
    const target = server.target();
    const port = await freeUdpPort();
    const common = ['-i', '127.0.0.1', '-t', 'u1', '-timeout_error'];
    const reg = await sipp(
      dir,
      'register',
      [
        target,
        '-sf',
        join(SCEN, 'calls-register.xml'),
        '-key',
        'user',
        '2001',
        '-key',
        'domain',
        DOMAIN,
        '-key',
        'expires',
        '3600',
        '-au',
        '2001',
        '-ap',
        password,
        '-p',
        String(port),
        '-m',
        '1',
        '-timeout',
        '15s',
        ...common,
      ],
      25_000,
    );
    if (reg.code !== 0) throw new Error(`assistant registration failed:\n${reg.text.slice(-800)}`);
    const uasOut = join(dir, 'sipp-uas.out');
    const fd = openSync(uasOut, 'w');
    const uas = registry.spawn({
      name: 'sipp-uas',
      cmd: SIPP,
      args: [
        target,
        '-sf',
        join(SCEN, 'calls-uas.xml'),
        '-key',
        'mport',
        mport,
        '-p',
        String(port),
        '-i',
        '127.0.0.1',
        '-t',
        'u1',
        '-l',
        '20000',
        '-buff_size',
        String(4 << 20),
      ],
      output: fd,
    });
    closeSync(fd);
    await sleep(300);
    console.log(
      `bench:executive — ${CALLS} calls per round at ${RATE}/s, hold ${HOLD} ms, ${ROUNDS} rounds each; ${server.description}`,
    );
    const totals = { plain: { calls: 0, ticks: 0, rate: 0 }, filtered: { calls: 0, ticks: 0, rate: 0 } };
    // Round 0 warms the JIT on both paths and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      for (const kind of ['plain', 'filtered'] as const) {
        const callee = kind === 'plain' ? '2001' : '2002';
        const c0 = server.sample(false).cpuTicks;
        const t0 = Date.now();
        const r = await sipp(
          dir,
          `${kind}-${round}`,
          [
            target,
            '-sf',
            join(SCEN, 'calls-uac.xml'),
            '-key',
            'caller',
            '2000',
            '-key',
            'callee',
            callee,
            '-key',
            'domain',
            DOMAIN,
            '-key',
            'mport',
            mport,
            '-au',
            '2000',
            '-ap',
            password,
            '-p',
            '0',
            '-r',
            String(RATE),
            '-m',
            String(round === 0 ? Math.min(CALLS, 100) : CALLS),
            '-l',
            String(Math.max(100, RATE * 4)),
            '-d',
            String(HOLD),
            '-recv_timeout',
            '4000',
            '-max_retrans',
            '4',
            '-timeout',
            `${Math.ceil(CALLS / RATE + HOLD / 1000 + 30)}s`,
            ...common,
          ],
          (CALLS / RATE + HOLD / 1000 + 60) * 1000,
        );
        const wallS = (Date.now() - t0) / 1000;
        if (round === 0) continue;
        const ticks = server.sample(false).cpuTicks - c0;
        const ok = r.counts?.successful ?? 0;
        const rate = r.counts?.callRate ?? ok / wallS;
        totals[kind].calls += ok;
        totals[kind].ticks += ticks;
        totals[kind].rate += rate;
        console.log(
          `  round ${round} ${kind.padEnd(8)} dial ${callee}: ${ok}/${CALLS} calls, ${rate.toFixed(1)} calls/s, server CPU ${((ticks * TICK_MS) / Math.max(ok, 1)).toFixed(2)} ms/call${r.code === 0 ? '' : ` (sipp exit ${r.code})`}`,
        );
      }
    }
    const perCall = (k: 'plain' | 'filtered') => (totals[k].ticks * TICK_MS) / Math.max(totals[k].calls, 1);
    const plain = perCall('plain');
    const filtered = perCall('filtered');
    console.log(
      `executive filtering: ${(totals.filtered.rate / ROUNDS).toFixed(1)} calls/s to the filtered executive vs ${(totals.plain.rate / ROUNDS).toFixed(1)} to the plain workplace; server CPU ${filtered.toFixed(2)} vs ${plain.toFixed(2)} ms/call (${plain > 0 ? `${(((filtered - plain) / plain) * 100).toFixed(1)}%` : 'n/a'})`,
    );
    await registry.stop(uas, 5_000, 'SIGINT');
  } finally {
    await registry.stopAll();
    sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (err: unknown) => {
  console.error(String(err instanceof Error ? err.message : err));
  await registry.stopAll();
  process.exit(1);
});
