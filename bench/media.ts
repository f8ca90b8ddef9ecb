// Relayed-media capacity: Zentrale's in-process relay (MediaEngine, the worker split of `--media-workers`) against
// rtpengine (Debian rtpengine-daemon, userspace `--table=-1`, controlled over its ng protocol), same load, same run.
//
//   npm run bench:media                      steps of 100 ... 1000 concurrent calls, 10 s windows
//   npm run bench:media -- --quick           100 and 250 calls, 3 s windows (smoke)
//   npm run bench:media -- --help            all flags
//
// Per step and backend: N calls set up (Zentrale: two legs per call with PCMU, bridged, in bench/lib/media-relay-host
// - its own process, no SIP; rtpengine: an ng offer and answer per call), then the load generator (worker threads,
// bench/lib/media-load.ts) sends every call's two streams, 50 PCMU packets/s each way (20 ms, 172 bytes), for 2 s
// of warm-up and the measured window. Loss = packets of the window not received; added jitter p99 = the 99th
// percentile of each packet's delay beyond its stream's quickest; both over every stream. A step passes with loss
// < 0.1 %, jitter p99 < 5 ms and no silent stream. CPU of the relay process (all its threads) over the window,
// also per call-second. Loopback only; every wait is bounded; children are stopped on every exit path.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { NgClient } from '../src/media/index.js';
import type { LoadCall, LoadCommand, LoadMessage, LoadReport } from './lib/media-load.js';
import { cpuTicks, sleep } from './lib/procs.js';
import { SERVER_NODE_FLAGS } from './lib/server-runtime.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RTPENGINE = '/usr/bin/rtpengine';
const LOSS_LIMIT = 0.001;
const JITTER_LIMIT_MS = 5;
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim()) || 100;
  } catch {
    return 100;
  }
})();

const USAGE = `usage: npm run bench:media -- [flags]
  --quick            steps 100,250 and 3 s windows (smoke)
  --steps LIST       concurrent calls per step (default 100,250,500,750,1000)
  --window S         measured seconds per step (default 10)
  --workers N        Zentrale's media worker threads (default: CPU cores - 1, at least 1; 0: main thread only)
  --gen-workers N    load generator threads (default 2)
  --only LIST        zentrale, rtpengine (default both)
  (ports: Zentrale's relay ZENTRALE_TEST_RTP_PORTS or 40000-59999; rtpengine BENCH_RTPENGINE_PORTS or 3000-4999,
   its ng port BENCH_RTPENGINE_NG or 15990)`;

interface Config {
  steps: number[];
  window: number;
  workers: number;
  genWorkers: number;
  only: Set<string>;
}

function config(): Config {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      steps: { type: 'string' },
      window: { type: 'string' },
      workers: { type: 'string' },
      'gen-workers': { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const steps = (values.steps ?? (quick ? '100,250' : '100,250,500,750,1000')).split(',').map(Number);
  if (steps.some((n) => !Number.isInteger(n) || n < 1 || n > 5000)) throw new Error('--steps: 1..5000 each');
  const window = Number(values.window ?? (quick ? 3 : 10));
  if (!(window >= 1 && window <= 120)) throw new Error('--window: 1..120');
  return {
    steps,
    window,
    workers: Number(values.workers ?? Math.max(1, Math.min(8, availableParallelism() - 1))),
    genWorkers: Math.max(1, Math.min(8, Number(values['gen-workers'] ?? 2))),
    only: new Set((values.only ?? 'zentrale,rtpengine').split(',')),
  };
}

/** A relay under test: a process whose CPU we sample, and calls it can set up and tear down. */
interface Backend {
  name: string;
  pid: number;
  /** Per call: the generator's caller and callee ports in, the relay's ports for each stream out. */
  setup(calls: Array<[number, number]>): Promise<Array<[number, number]>>;
  teardown(): Promise<void>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
function killAll(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
process.on('exit', killAll);

function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => c.kill('SIGKILL'), 5_000);
    c.once('exit', () => {
      clearTimeout(t);
      children.delete(c);
      resolve();
    });
    c.kill('SIGTERM');
  });
}

function reply<T>(c: ChildProcess, t: string, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay host: no '${t}' within ${ms} ms`)), ms);
    const on = (m: { t: string; message?: string }): void => {
      if (m.t !== t && m.t !== 'error') return;
      clearTimeout(timer);
      c.off('message', on);
      if (m.t === 'error') reject(new Error(m.message));
      else resolve(m as T);
    };
    c.on('message', on);
  });
}

async function zentrale(cfg: Config): Promise<Backend> {
  const c = fork(join(HERE, 'lib', 'media-relay-host.ts'), [], {
    // BENCH_MEDIA_PROF=DIR: the relay host under --cpu-prof (its main thread; workers write their own profiles).
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_MEDIA_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_MEDIA_PROF}`]
        : []),
      // The young generation the server gets from bin/zentrale.js's shebang.
      ...SERVER_NODE_FLAGS,
      // BENCH_MEDIA_NODE_FLAGS: extra node flags for the relay host (e.g. --trace-gc, --max-semi-space-size=N).
      ...(process.env.BENCH_MEDIA_NODE_FLAGS ?? '').split(' ').filter(Boolean),
    ],
    env: { ...process.env, BENCH_MEDIA_WORKERS: String(cfg.workers) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(c);
  await reply(c, 'ready', 30_000);
  return {
    name: 'zentrale',
    pid: c.pid!,
    async setup(calls) {
      c.send({ op: 'setup', calls });
      return (await reply<{ ports: Array<[number, number]> }>(c, 'ports', 60_000 + calls.length * 20)).ports;
    },
    async teardown() {
      c.send({ op: 'teardown' });
      await reply(c, 'done', 30_000);
    },
    async stop() {
      // Disconnecting lets the host close its engine and exit by itself (so a --cpu-prof profile gets written).
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.disconnect();
      await Promise.race([exited, sleep(5_000)]);
      await stopChild(c);
    },
  };
}

function sdp(port: number): string {
  return (
    `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n` +
    `m=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n`
  );
}

function sdpPort(text: string): number {
  const m = /m=audio (\d+)/.exec(text);
  if (!m) throw new Error(`rtpengine answered an SDP without audio: ${text.slice(0, 200)}`);
  return Number(m[1]);
}

async function rtpengine(): Promise<Backend> {
  const ngPort = Number(process.env.BENCH_RTPENGINE_NG ?? 15990);
  const [pmin, pmax] = (process.env.BENCH_RTPENGINE_PORTS ?? '3000-4999').split('-');
  const c = spawn(
    RTPENGINE,
    [
      // Not Debian's /etc/rtpengine/rtpengine.conf: its fixed CLI and HTTP ports collide with a test's rtpengine.
      '--config-file=none',
      '--table=-1',
      '--interface=127.0.0.1',
      `--listen-ng=127.0.0.1:${ngPort}`,
      `--port-min=${pmin}`,
      `--port-max=${pmax}`,
      '--foreground',
      '--log-stderr',
      '--log-level=4',
      '--delete-delay=0',
      '--timeout=600',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.add(c);
  let err = '';
  c.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const ng = new NgClient({ host: '127.0.0.1', port: ngPort, timeoutMs: 2000, retries: 1 });
  for (let i = 0; ; i++) {
    if (c.exitCode !== null) throw new Error(`rtpengine exited at start: ${err}`);
    try {
      await ng.ping();
      break;
    } catch (e) {
      if (i > 25) throw new Error(`rtpengine did not answer ping on ${ngPort}: ${String(e)} ${err}`);
      await sleep(200);
    }
  }
  const prefix = `bench-${process.pid}-${Date.now()}`;
  let open: string[] = [];
  let n = 0;
  return {
    name: 'rtpengine',
    pid: c.pid!,
    async setup(calls) {
      const out: Array<[number, number]> = [];
      // 50 ng transactions at a time: quick, and the daemon's control socket never floods.
      for (let i = 0; i < calls.length; i += 50) {
        const batch = calls.slice(i, i + 50).map(async ([ra, rb]) => {
          const id = `${prefix}-${n++}`;
          open.push(id);
          const toCallee = await ng.offer({ 'call-id': id, 'from-tag': 'a' }, sdp(ra), { ICE: 'remove' });
          const toCaller = await ng.answer({ 'call-id': id, 'from-tag': 'a', 'to-tag': 'b' }, sdp(rb), {
            ICE: 'remove',
          });
          return [sdpPort(toCaller), sdpPort(toCallee)] as [number, number];
        });
        out.push(...(await Promise.all(batch)));
      }
      return out;
    },
    async teardown() {
      const ids = open;
      open = [];
      for (let i = 0; i < ids.length; i += 50)
        await Promise.all(
          ids.slice(i, i + 50).map((id) => ng.delete({ 'call-id': id }, { 'delete-delay': 0 })),
        );
    },
    async stop() {
      await ng.close();
      await stopChild(c);
    },
  };
}

interface StepResult {
  calls: number;
  pass: boolean;
  loss: number;
  jitterP99: number;
  rfcJitterMax: number;
  lossyStreams: number;
  silentStreams: number;
  skipped: number;
  relayCpu: number;
  genCpu: number;
  sent: number;
  /** Packets sent per second of the window (each one is received by the relay and sent on once). */
  pps: number;
  reasons: string[];
}

function startGenerators(count: number): Promise<Array<{ w: Worker; a: number; b: number }>> {
  const entry = join(HERE, 'lib', 'media-load.ts');
  const code = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify('file://' + entry)}); })`;
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const w = new Worker(code, { eval: true, workerData: { ssrcBase: (i + 1) * 0x1000000 } });
      return new Promise<{ w: Worker; a: number; b: number }>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('load generator did not start')), 30_000);
        w.once('message', (m: LoadMessage) => {
          clearTimeout(t);
          if (m.t === 'ports') resolve({ w, a: m.a, b: m.b });
        });
        w.once('error', reject);
      });
    }),
  );
}

async function step(cfg: Config, be: Backend, n: number): Promise<StepResult> {
  const gens = await startGenerators(cfg.genWorkers);
  const reasons: string[] = [];
  try {
    const share = gens.map((_, i) => Math.floor(n / gens.length) + (i < n % gens.length ? 1 : 0));
    const calls: Array<[number, number]> = [];
    gens.forEach((g, i) => {
      for (let k = 0; k < share[i]!; k++) calls.push([g.a, g.b]);
    });
    const ports = await be.setup(calls);
    let at = 0;
    gens.forEach((g, i) => {
      const mine: LoadCall[] = ports.slice(at, at + share[i]!).map(([toA, toB]) => ({ toA, toB }));
      at += share[i]!;
      g.w.postMessage({ op: 'calls', calls: mine } satisfies LoadCommand);
    });
    await sleep(2_000);
    for (const g of gens) g.w.postMessage({ op: 'measure' } satisfies LoadCommand);
    const c0 = cpuTicks(be.pid) ?? 0;
    const g0 = process.cpuUsage();
    const w0 = performance.now();
    await sleep(cfg.window * 1000);
    const wall = (performance.now() - w0) / 1000;
    const relayCpu = ((cpuTicks(be.pid) ?? c0) - c0) / CLK_TCK / wall;
    const g = process.cpuUsage(g0);
    const reports = await Promise.all(
      gens.map(
        (x) =>
          new Promise<LoadReport>((resolve, reject) => {
            const t = setTimeout(() => reject(new Error('load generator did not report')), 10_000);
            x.w.on('message', (m: LoadMessage) => {
              if (m.t !== 'report') return;
              clearTimeout(t);
              resolve(m.report);
            });
            x.w.postMessage({ op: 'stop' } satisfies LoadCommand);
          }),
      ),
    );
    await be.teardown();
    const sum = (f: (r: LoadReport) => number) => reports.reduce((s, r) => s + f(r), 0);
    const sent = sum((r) => r.sent);
    const received = sum((r) => r.received);
    const hist = new Array<number>(reports[0]!.hist.length).fill(0);
    for (const r of reports) r.hist.forEach((v, i) => (hist[i]! += v));
    let acc = 0;
    let p99 = hist.length;
    const total = hist.reduce((s, v) => s + v, 0);
    for (let i = 0; i < hist.length; i++) {
      acc += hist[i]!;
      if (acc >= total * 0.99) {
        p99 = i + 1;
        break;
      }
    }
    const res: StepResult = {
      calls: n,
      pass: false,
      loss: sent > 0 ? (sent - received) / sent : 1,
      jitterP99: p99 / 10,
      rfcJitterMax: Math.max(...reports.map((r) => r.maxRfcJitter)),
      lossyStreams: sum((r) => r.lossyStreams),
      silentStreams: sum((r) => r.silentStreams),
      skipped: sum((r) => r.skipped),
      relayCpu,
      genCpu: (g.user + g.system) / 1e6 / wall,
      sent,
      pps: sent / wall,
      reasons,
    };
    if (res.loss >= LOSS_LIMIT) reasons.push(`loss ${(res.loss * 100).toFixed(3)} % >= 0.1 %`);
    if (res.jitterP99 >= JITTER_LIMIT_MS)
      reasons.push(`added jitter p99 ${res.jitterP99.toFixed(1)} ms >= 5 ms`);
    if (res.silentStreams > 0) reasons.push(`${res.silentStreams} silent streams`);
    if (res.skipped > sent * 0.01) reasons.push(`the generator fell behind (${res.skipped} packets skipped)`);
    res.pass = reasons.length === 0;
    return res;
  } finally {
    await Promise.all(gens.map((x) => x.w.terminate()));
  }
}

function line(name: string, r: StepResult): string {
  const perCall = r.relayCpu / r.calls; // CPU seconds per wall second, per call
  return (
    `  ${name.padEnd(9)} ${String(r.calls).padStart(5)} calls  ${r.pass ? 'PASS' : 'FAIL'}  loss ${(r.loss * 100).toFixed(3)} %` +
    ` (${r.lossyStreams} streams lossy)  added jitter p99 ${r.jitterP99.toFixed(1)} ms, RFC 3550 jitter max ${r.rfcJitterMax.toFixed(2)} ms` +
    `  relay CPU ${(r.relayCpu * 100).toFixed(0)} % of a core = ${(perCall * 1e6).toFixed(0)} µs per call-second` +
    ` = ${((r.relayCpu * 1e6) / r.pps).toFixed(1)} µs per packet` +
    `  (generator ${(r.genCpu * 100).toFixed(0)} % = ${((r.genCpu * 1e6) / r.pps).toFixed(1)} µs per packet sent and received back,` +
    ` ${r.sent} packets in the window${r.skipped ? `, ${r.skipped} skipped` : ''})` +
    (r.pass ? '' : `\n            ${r.reasons.join(', ')}`)
  );
}

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');

async function ramp(cfg: Config, make: () => Promise<Backend>, name: string): Promise<StepResult[]> {
  const out: StepResult[] = [];
  let be: Backend | undefined;
  try {
    be = await make();
    for (const n of cfg.steps) {
      const r = await step(cfg, be, n);
      console.log(line(name, r));
      out.push(r);
      if (!r.pass) break;
    }
  } catch (err) {
    console.log(`  ${name}: ERROR ${(err as Error).message}`);
  } finally {
    await be?.stop();
  }
  return out;
}

function best(rs: StepResult[]): StepResult | undefined {
  return rs.filter((r) => r.pass).at(-1);
}

async function main(): Promise<void> {
  const cfg = config();
  console.log(
    `bench:media - concurrent two-way G.711 calls (20 ms, 50 packets/s each way) relayed on 127.0.0.1\n` +
      `  ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), shared by the relay and the load generator ` +
      `(${cfg.genWorkers} threads); Zentrale media workers: ${cfg.workers}; window ${cfg.window} s; steps ${cfg.steps.join(', ')}\n` +
      `  load average at start: ${load()}`,
  );
  const z = cfg.only.has('zentrale') ? await ramp(cfg, () => zentrale(cfg), 'zentrale') : [];
  const r = cfg.only.has('rtpengine') ? await ramp(cfg, rtpengine, 'rtpengine') : [];
  console.log(`  load average at end: ${load()}\n\nresult (pass: loss < 0.1 %, added jitter p99 < 5 ms):`);
  const bz = best(z);
  const br = best(r);
  const fig = (b: StepResult | undefined, all: StepResult[]) =>
    b
      ? `${all.at(-1)?.pass ? '>= ' : ''}${b.calls} calls (loss ${(b.loss * 100).toFixed(3)} %, jitter p99 ${b.jitterP99.toFixed(1)} ms, ${((b.relayCpu / b.calls) * 1e6).toFixed(0)} µs CPU per call-second)`
      : all.length
        ? `< ${all[0]!.calls} calls`
        : 'not run';
  console.log(`  zentrale relay (${cfg.workers} workers): ${fig(bz, z)}`);
  console.log(`  rtpengine (userspace):      ${fig(br, r)}`);
  if (bz && br) console.log(`  ratio zentrale / rtpengine calls: ${(bz.calls / br.calls).toFixed(2)}`);
  // CPU per call-second at the largest step both passed: the figure that does not depend on the machine's load.
  const common = z.filter((x) => x.pass && r.some((y) => y.pass && y.calls === x.calls)).at(-1);
  if (common) {
    const other = r.find((y) => y.calls === common.calls)!;
    console.log(
      `  CPU per call-second at ${common.calls} calls: zentrale ${((common.relayCpu / common.calls) * 1e6).toFixed(0)} µs, ` +
        `rtpengine ${((other.relayCpu / other.calls) * 1e6).toFixed(0)} µs (ratio ${(other.relayCpu / common.relayCpu).toFixed(2)})`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.message);
    killAll();
    process.exit(1);
  },
);
