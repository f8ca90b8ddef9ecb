// REGISTER-with-digest-auth throughput of Zentrale, and of Kamailio for reference, driven by sipp.
//
//   npm run bench:register                     full run: 15 s per step
//   npm run bench:register -- --quick          3 s steps, to try it out
//   npm run bench:register -- --help           all flags
//
// See bench/README.md for what is measured and the caveats. Loopback only; everything started here is stopped
// on every exit path (normal end, error, SIGINT/SIGTERM, watchdog).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FloorPeer } from './lib/floor-peer.js';
import { KamailioPeer, ZentralePeer, type Peer } from './lib/peers.js';
import { zentraleEntry } from './lib/zentrale-entry.js';
import { machineTicks, pinToCore, ProcessRegistry, sleep } from './lib/procs.js';
import { summariseProfile } from './lib/profile.js';
import { runSipp, SIPP, usersCsv, type SippRun } from './lib/sipp.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIO = join(ROOT, 'bench', 'scenarios', 'register-auth-csv.xml');
const KAMAILIO_CFG = join(ROOT, 'bench', 'kamailio', 'registrar.cfg');
const DOMAIN = 'bench.zentrale.test';
const RATE_STEPS = [200, 500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 15000, 20000];
const WARMUP = { rate: 200, seconds: 2 };

const USAGE = `usage: npm run bench:register -- [flags]
  --quick              3 s steps, 60 s budget per registrar (default: 15 s steps, 300 s budget)
  --duration S         seconds per step (1..120)
  --max-rate N         highest rate to try, registrations/s (default 20000)
  --budget S           time budget per registrar in seconds; the ramp stops when the next step would exceed it
  --users N            number of provisioned users (default 1000, at most 50000)
  --children N         Kamailio UDP worker processes (default 4)
  --refine N           bisection steps between the last pass and the first failure (default 2)
  --only NAME          zentrale or kamailio
  --tsx                run Zentrale from src/ through tsx instead of the dist/ build
  --zentrale-arg ARG   extra argument for "zentrale serve" (repeatable), e.g. --zentrale-arg=--auth-ban-seconds=0
  --floor              also ramp the node floor (bench/lib/register-floor.ts): this runtime's UDP I/O and the least
                       string work of an answer, no SIP stack - the part of Zentrale's CPU per registration that is Node's
  --profile            run Zentrale under node --cpu-prof and print its hot spots (figures then not comparable)
  --no-pin             leave sipp and the registrar to the scheduler (default on 2+ cores: sipp and this script on
                       core 0, every process and thread of the registrar under test on core 1)
  --keep               keep the work directory (logs, sipp output)`;

interface Config {
  duration: number;
  maxRate: number;
  budgetSec: number;
  users: number;
  children: number;
  refine: number;
  only: string | undefined;
  tsx: boolean;
  zentraleArgs: string[];
  profile: boolean;
  keep: boolean;
  quick: boolean;
  floor: boolean;
  pin: boolean;
}

function parseConfig(argv: string[]): Config {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean' },
      duration: { type: 'string' },
      'max-rate': { type: 'string' },
      budget: { type: 'string' },
      users: { type: 'string' },
      children: { type: 'string' },
      refine: { type: 'string' },
      only: { type: 'string' },
      tsx: { type: 'boolean' },
      'zentrale-arg': { type: 'string', multiple: true },
      profile: { type: 'boolean' },
      keep: { type: 'boolean' },
      floor: { type: 'boolean' },
      'no-pin': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, dflt: number, min: number, max: number): number => {
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
      throw new Error(`--${name}: expected ${min}..${max}, got "${v}"`);
    return Number(v);
  };
  const quick = values.quick === true;
  const only = values.only;
  if (only !== undefined && only !== 'zentrale' && only !== 'kamailio')
    throw new Error(`--only: zentrale or kamailio`);
  return {
    quick,
    duration: int('duration', values.duration, quick ? 3 : 15, 1, 120),
    maxRate: int('max-rate', values['max-rate'], 20000, 10, 100000),
    budgetSec: int('budget', values.budget, quick ? 60 : 300, 10, 3600),
    users: int('users', values.users, 1000, 1, 50000),
    children: int('children', values.children, 4, 1, 64),
    refine: int('refine', values.refine, 2, 0, 6),
    only,
    tsx: values.tsx === true,
    zentraleArgs: values['zentrale-arg'] ?? [],
    profile: values.profile === true,
    keep: values.keep === true,
    floor: values.floor === true,
    pin: values['no-pin'] !== true,
  };
}

// ---------------------------------------------------------------------------------------------------------------

const registry = new ProcessRegistry();
let workDir: string | undefined;
let keepWorkDir = false;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await registry.stopAll();
    if (workDir && !keepWorkDir) rmSync(workDir, { recursive: true, force: true });
  })();
  return cleaning;
}

let signalled = false;
function onSignal(sig: NodeJS.Signals): void {
  if (signalled) {
    registry.killAllNow();
    process.exit(130);
  }
  signalled = true;
  console.error(`\n${sig}: stopping everything the bench started ...`);
  void cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal);
process.on('exit', () => registry.killAllNow());

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function sippVersion(): string {
  try {
    const out = execFileSync(SIPP, ['-v'], { encoding: 'utf8', timeout: 5_000 });
    return /SIPp v([\d.]+)/.exec(out)?.[1] ?? 'unknown';
  } catch (err) {
    const out = String((err as { stdout?: string }).stdout ?? '');
    return /SIPp v([\d.]+)/.exec(out)?.[1] ?? 'unknown';
  }
}

/** Letters only, so the password can never contain a (numeric) user name. */
function randomLetters(n: number): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ';
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}

function provisioningYaml(users: string[], password: string): string {
  const lines = [
    '# Generated by bench/register.ts',
    'tenants:',
    '  - id: bench',
    '    name: Bench',
    `    domain: ${DOMAIN}`,
    '    workplaces:',
  ];
  for (const u of users) {
    lines.push(`      - extension: '${u}'`, `        name: Bench ${u}`, '        devices:');
    lines.push(`          - { username: '${u}', password: '${password}', kind: softphone }`);
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------------

interface Step {
  rate: number;
  seconds: number;
  pass: boolean;
  reasons: string[];
  sipp: SippRun;
  serverCpu: number;
  /** Server CPU time (user + system, all its processes) per successful registration, µs. */
  serverUsPerReg: number | undefined;
  sippCpu: number;
  /** Share of all cores busy during the step (everything on the machine, kernel included). */
  machineBusy: number | undefined;
  /** Zentrale: highest VmRSS sampled during the step; Kamailio: highest PSS sum. kB */
  memPeakKb: number | undefined;
  /** Zentrale: highest number of live server transactions seen in /debug/counts (sampled once a second). */
  txPeak: number | undefined;
  bans: number;
  authFailures: number;
  serverErrors: number;
  firstServerError: string | undefined;
}

interface PeerResult {
  peer: Peer;
  best: Step | undefined;
  firstFail: Step | undefined;
  stoppedBy: 'failure' | 'max-rate' | 'budget' | 'error';
  error: string | undefined;
  /** Highest VmHWM / PSS peak over all instances, kB */
  peakKb: number | undefined;
  steps: Step[];
}

interface Ctx {
  cfg: Config;
  dir: string;
  csv: string;
  /** sipp runs on core 0 and each registrar is moved to core 1 once started. */
  pinned: boolean;
}

let stepCounter = 0;

async function runStep(ctx: Ctx, peer: Peer, rate: number, seconds: number, tag: string): Promise<Step> {
  // The short warm-up is a functional check: it need not reach its rate (sipp and a cold server start slowly).
  const requireRate = tag !== 'warmup';
  const label = `${peer.name}-${++stepCounter}-${tag}-${rate}`;
  peer.markLog();
  const total = Math.round(rate * seconds);
  const c0 = peer.sample(false).cpuTicks;
  const m0 = machineTicks();
  const t0 = process.hrtime.bigint();
  let memPeak: number | undefined;
  let samples = 0;
  let txPeak: number | undefined;
  let probing = false;
  const probe = peer.counts
    ? setInterval(() => {
        if (probing) return;
        probing = true;
        void peer.counts!()
          .then((c) => {
            const tx = c?.serverTransactions;
            if (typeof tx === 'number') txPeak = Math.max(txPeak ?? 0, tx);
          })
          .finally(() => (probing = false));
      }, 1_000)
    : undefined;
  const sipp = await runSipp({
    registry,
    target: peer.target(),
    scenario: SCENARIO,
    csv: ctx.csv,
    rate,
    total,
    dir: ctx.dir,
    label,
    timeoutSec: seconds + 20,
    onSample: () => {
      samples++;
      // Memory every 2nd sample (Kamailio's PSS reads one smaps_rollup per process).
      const s = peer.sample(samples % 2 === 0);
      if (s.memKb !== undefined) memPeak = Math.max(memPeak ?? 0, s.memKb);
    },
  });
  clearInterval(probe);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const end = peer.sample(true);
  const m1 = machineTicks();
  if (end.memKb !== undefined) memPeak = Math.max(memPeak ?? 0, end.memKb);
  const ev = peer.events();
  const reasons: string[] = [];
  if (!sipp.parsed) reasons.push('no statistics from sipp');
  if (sipp.exitCode !== 0) reasons.push(`sipp exit ${sipp.exitCode ?? sipp.signal}`);
  if (sipp.failed > 0) reasons.push(`${sipp.failed} failed`);
  if (sipp.successful !== total) reasons.push(`${sipp.successful}/${total} succeeded`);
  if (sipp.unexpected > 0) reasons.push(`${sipp.unexpected} unexpected messages`);
  if (requireRate && sipp.parsed && sipp.callRate < rate * 0.9)
    reasons.push(`sipp reached only ${sipp.callRate.toFixed(0)} calls/s`);
  if (!peer.alive()) reasons.push(`${peer.name} exited`);
  return {
    rate,
    seconds,
    pass: reasons.length === 0,
    reasons,
    sipp,
    serverCpu: (end.cpuTicks - c0) / CLK_TCK / wall,
    serverUsPerReg: sipp.successful > 0 ? ((end.cpuTicks - c0) / CLK_TCK / sipp.successful) * 1e6 : undefined,
    sippCpu: sipp.cpuTicks / CLK_TCK / sipp.wallSec,
    machineBusy: m0 && m1 && m1.total > m0.total ? (m1.busy - m0.busy) / (m1.total - m0.total) : undefined,
    memPeakKb: memPeak,
    txPeak,
    bans: ev.bans,
    authFailures: ev.authFailures,
    serverErrors: ev.errors,
    firstServerError: ev.firstError,
  };
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** Server CPU per registration: holds up better than the rate on a machine shared with other work. */
function perReg(s: Step): string {
  return s.serverUsPerReg === undefined ? '' : ` = ${Math.round(s.serverUsPerReg)} µs/reg`;
}

function busy(s: Step): string {
  return s.machineBusy === undefined ? '?' : pct(s.machineBusy);
}

function mb(kb: number | undefined): string {
  return kb === undefined ? '?' : `${Math.round(kb / 1024)} MB`;
}

function logStep(peer: Peer, s: Step, tag: string): void {
  const head = `  ${peer.name.padEnd(8)} ${tag.padEnd(7)} ${String(s.rate).padStart(5)}/s x ${s.seconds} s`;
  const box = s.machineBusy === undefined ? '' : ` (machine ${pct(s.machineBusy)} busy)`;
  const cpu = `cpu ${peer.name} ${pct(s.serverCpu)}${perReg(s)}, sipp ${pct(s.sippCpu)}${box}`;
  const tx = s.txPeak === undefined ? '' : `  server transactions <= ${s.txPeak}`;
  const mem = `${peer.name === 'kamailio' ? 'PSS' : 'RSS'} ${mb(s.memPeakKb)}${tx}`;
  const counts = `${s.sipp.successful}/${Math.round(s.rate * s.seconds)} ok, retrans ${s.sipp.retrans}`;
  if (s.pass) {
    console.log(`${head}  PASS  ${counts}  ${cpu}  ${mem}`);
    return;
  }
  console.log(`${head}  FAIL  ${s.reasons.join(', ')}; retrans ${s.sipp.retrans}  ${cpu}  ${mem}`);
  if (s.sipp.firstError) console.log(`           sipp: ${s.sipp.firstError}`);
  if (s.bans > 0 || s.authFailures > 0)
    console.log(
      `           ${peer.name}: ${s.bans} auth.ban, ${s.authFailures} auth.failure log lines during the step`,
    );
  if (s.firstServerError) console.log(`           ${peer.name} log: ${s.firstServerError}`);
}

/** Starts a fresh instance and, when pinning, moves all its processes to the registrar's core. */
async function startPeer(ctx: Ctx, peer: Peer): Promise<void> {
  await peer.start();
  if (!ctx.pinned) return;
  const err = pinToCore(peer.pids(), 1);
  if (err !== undefined) throw new Error(`${peer.name}: could not pin to core 1 (${err}); run with --no-pin`);
}

async function warmUp(ctx: Ctx, peer: Peer): Promise<void> {
  const s = await runStep(ctx, peer, WARMUP.rate, WARMUP.seconds, 'warmup');
  logStep(peer, s, 'warm-up');
  if (!s.pass)
    throw new Error(
      `${peer.name}: the warm-up at ${WARMUP.rate}/s failed, so the set-up is broken (see above)`,
    );
}

async function measure(ctx: Ctx, peer: Peer, rates: number[]): Promise<PeerResult> {
  const { cfg } = ctx;
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const pause = cfg.quick ? 1_000 : 2_000;
  const stepCost = (restart: boolean) =>
    cfg.duration + pause / 1000 + 5 + (restart ? WARMUP.seconds + 10 : 0);
  const result: PeerResult = {
    peer,
    best: undefined,
    firstFail: undefined,
    stoppedBy: 'max-rate',
    error: undefined,
    peakKb: undefined,
    steps: [],
  };
  const notePeak = () => {
    const p = peer.peakKb();
    if (p !== undefined) result.peakKb = Math.max(result.peakKb ?? 0, p);
  };
  console.log(`\n${peer.name}: ${peer.description}`);
  try {
    await startPeer(ctx, peer);
    const procs = peer instanceof KamailioPeer ? `, ${peer.processCount()} processes` : '';
    console.log(`  listening on udp:${peer.target()}${procs}`);
    await warmUp(ctx, peer);
    for (const rate of rates) {
      if (elapsed() + stepCost(false) > cfg.budgetSec) {
        result.stoppedBy = 'budget';
        break;
      }
      await sleep(pause);
      const s = await runStep(ctx, peer, rate, cfg.duration, 'ramp');
      result.steps.push(s);
      logStep(peer, s, 'ramp');
      if (s.pass) result.best = s;
      else {
        result.firstFail = s;
        result.stoppedBy = 'failure';
        break;
      }
    }
    notePeak();
    // Bisection between the last pass and the first failure, each on a fresh instance (a failed step may have
    // left bans, a backlog or a bloated heap behind).
    for (let i = 0; i < cfg.refine && result.firstFail && !cfg.profile; i++) {
      const lo = result.best?.rate ?? 0;
      const hi = result.firstFail.rate;
      const grain = hi > 1000 ? 100 : 50;
      const mid = Math.round((lo + hi) / 2 / grain) * grain;
      if (mid <= lo || mid >= hi || hi - lo <= grain) break;
      if (elapsed() + stepCost(true) > cfg.budgetSec) break;
      await peer.stop();
      await startPeer(ctx, peer);
      await warmUp(ctx, peer);
      await sleep(pause);
      const s = await runStep(ctx, peer, mid, cfg.duration, 'refine');
      result.steps.push(s);
      logStep(peer, s, 'refine');
      notePeak();
      if (s.pass) result.best = s;
      else result.firstFail = s;
    }
  } catch (err) {
    result.stoppedBy = 'error';
    result.error = (err as Error).message;
    console.log(`  ${peer.name}: ERROR ${result.error}`);
  } finally {
    notePeak();
    await peer.stop();
  }
  return result;
}

function figure(r: PeerResult): string {
  if (!r.best) return r.error ? 'error' : `< ${r.firstFail?.rate ?? '?'} reg/s`;
  const ge = r.stoppedBy === 'max-rate' || r.stoppedBy === 'budget' ? '>= ' : '';
  return `${ge}${r.best.rate} reg/s`;
}

function why(r: PeerResult, cfg: Config): string {
  switch (r.stoppedBy) {
    case 'max-rate':
      return `max rate ${cfg.maxRate}/s reached`;
    case 'budget':
      return `time budget of ${cfg.budgetSec} s used up`;
    case 'error':
      return `error: ${r.error ?? ''}`.slice(0, 160);
    case 'failure': {
      const f = r.firstFail!;
      const ban = f.bans > 0 ? `; ${r.peer.name} banned the source (auth.ban)` : '';
      const first = f.sipp.firstError
        ? `\n            first sipp error: ${f.sipp.firstError.slice(0, 150)}`
        : '';
      return `failed at ${f.rate}/s: ${f.reasons.join(', ')}${ban}${first}`;
    }
  }
}

async function main(): Promise<void> {
  const cfg = parseConfig(process.argv.slice(2));
  // Two ramps within their budgets, a build (up to 300 s) and start/stop margins.
  startWatchdog(2 * cfg.budgetSec + 600);
  const rates = RATE_STEPS.filter((r) => r < cfg.maxRate);
  rates.push(cfg.maxRate);
  const kamailio = cfg.only === 'zentrale' || cfg.profile ? undefined : onPath('kamailio');

  const cores = cpus().length;
  // One core each: the load generator on one, the registrar under test alone on the other, so both registrars
  // get the same single core whatever their process model (Kamailio forks workers, node has helper threads) and
  // neither competes with sipp for it.
  let pinning = 'not pinned (--no-pin): sipp and the registrar share the cores as the scheduler places them';
  let pinned = false;
  if (cfg.pin && cores >= 2) {
    const err = pinToCore([process.pid], 0);
    pinned = err === undefined;
    pinning = pinned
      ? 'sipp and this script pinned to core 0, every process and thread of the registrar to core 1'
      : `not pinned (taskset: ${err})`;
  } else if (cfg.pin) pinning = 'not pinned (one core)';
  console.log(
    `bench:register - REGISTER with digest auth (401 challenge, MD5, qop=auth), sipp ${sippVersion()} over UDP on 127.0.0.1\n` +
      `  ${cfg.users} users, ${cfg.duration} s per step, rates ${rates.join(', ')}/s, bisection ${cfg.refine}x, budget ${cfg.budgetSec} s per registrar\n` +
      `  ${cores} CPU cores (${cpus()[0]?.model ?? '?'}); ${pinning}; sipp's CPU use is printed per step`,
  );

  const before = machineTicks();
  await sleep(1_000);
  const after = machineTicks();
  if (before && after && after.total > before.total) {
    const idleLoad = (after.busy - before.busy) / (after.total - before.total);
    console.log(
      `  machine ${pct(idleLoad)} busy before the bench started${idleLoad > 0.15 ? ' - WARNING: other load on this machine skews the figures' : ''}`,
    );
  }

  workDir = mkdtempSync(join(tmpdir(), 'zentrale-bench-'));
  keepWorkDir = cfg.keep;
  const profDir = cfg.profile ? mkdtempSync(join(tmpdir(), 'zentrale-bench-prof-')) : undefined;
  const password = `bench-Pw-${randomLetters(12)}-x9`;
  const width = cfg.users + 2000 <= 9999 ? 2000 : 20000;
  const users = Array.from({ length: cfg.users }, (_, i) => String(width + i));
  const provisionFile = join(workDir, 'bench.yaml');
  writeFileSync(provisionFile, provisioningYaml(users, password));
  const csv = join(workDir, 'users.csv');
  writeFileSync(csv, usersCsv(users, DOMAIN, password));
  const ctx: Ctx = { cfg, dir: join(workDir, 'sipp'), csv, pinned };
  mkdirSync(ctx.dir);

  const results: PeerResult[] = [];
  if (cfg.only !== 'kamailio') {
    const { entry, label } = zentraleEntry(ROOT, cfg.tsx);
    const peer = new ZentralePeer({
      registry,
      root: ROOT,
      workDir,
      provisionFile,
      entry,
      entryLabel: label,
      extraServeArgs: cfg.zentraleArgs,
      cpuProfDir: profDir,
    });
    results.push(await measure(ctx, peer, rates));
  }
  if (kamailio) {
    const peer = new KamailioPeer({
      registry,
      binary: kamailio,
      config: KAMAILIO_CFG,
      workDir,
      password,
      children: cfg.children,
    });
    results.push(await measure(ctx, peer, rates));
  }

  if (cfg.floor) results.push(await measure(ctx, new FloorPeer({ registry, root: ROOT, workDir }), rates));

  const z = results.find((r) => r.peer.name === 'zentrale');
  const k = results.find((r) => r.peer.name === 'kamailio');
  const f = results.find((r) => r.peer.name === 'node-floor');
  console.log(
    `\nREGISTER with digest auth, sustained ${cfg.duration} s with 0 failures (sipp ${sippVersion()}, UDP, loopback, ${cfg.users} users, ${ctx.pinned ? 'registrar on core 1, sipp on core 0' : `${cores} cores shared with sipp`})`,
  );
  if (z) {
    const at = z.best
      ? `; at that rate: zentrale CPU ${pct(z.best.serverCpu)} of one core${perReg(z.best)}, sipp ${pct(z.best.sippCpu)}, machine ${busy(z.best)} busy, RSS ${mb(z.best.memPeakKb)}, server transactions <= ${z.best.txPeak ?? '?'}`
      : '';
    console.log(
      `  zentrale: ${figure(z).padEnd(14)} peak RSS ${mb(z.peakKb)}   (${z.peer.description}${at})`,
    );
    console.log(`            ${why(z, cfg)}`);
  }
  if (k) {
    const at = k.best
      ? `; at that rate: kamailio CPU ${pct(k.best.serverCpu)} (all processes)${perReg(k.best)}, sipp ${pct(k.best.sippCpu)}, machine ${busy(k.best)} busy`
      : '';
    console.log(
      `  kamailio: ${figure(k).padEnd(14)} peak PSS ${mb(k.peakKb)}   (${k.peer.description}${at})`,
    );
    console.log(`            ${why(k, cfg)}`);
  } else if (cfg.only !== 'zentrale') {
    console.log(`  kamailio: skipped (${cfg.profile ? '--profile' : 'kamailio is not on PATH'})`);
  }
  if (f) {
    const at = f.best
      ? `; at that rate: CPU ${pct(f.best.serverCpu)}${perReg(f.best)}, sipp ${pct(f.best.sippCpu)}, machine ${busy(f.best)} busy`
      : '';
    console.log(`  node floor: ${figure(f).padEnd(12)} (${f.peer.description}${at})`);
    console.log(`            ${why(f, cfg)}`);
  }
  if (z?.best && k?.best) {
    const approx =
      z.stoppedBy !== 'failure' || k.stoppedBy !== 'failure'
        ? ' (a bound: one side did not reach failure)'
        : '';
    console.log(`  ratio zentrale/kamailio: ${(z.best.rate / k.best.rate).toFixed(2)}${approx}`);
  }
  console.log(
    `  (percent CPU = CPU seconds per wall second; 100% = one core. Zentrale runs its SIP work on one thread; sipp is single-threaded too.)`,
  );

  if (profDir) {
    await registry.stopAll();
    const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
    for (const f of files) {
      const sum = summariseProfile(join(profDir, f), ROOT, 25);
      console.log(
        `\nCPU profile ${join(profDir, f)}: ${(sum.totalMs / 1000).toFixed(1)} s sampled, ${(sum.idleMs / 1000).toFixed(1)} s idle`,
      );
      console.log('  self time by function (share of busy time):');
      for (const h of sum.functions)
        console.log(`    ${pct(h.share).padStart(4)}  ${h.ms.toFixed(0).padStart(6)} ms  ${h.name}`);
      console.log('  self time by area (dist/ files are the compiled src/ files of the same path):');
      for (const h of sum.areas.slice(0, 15))
        console.log(`    ${pct(h.share).padStart(4)}  ${h.ms.toFixed(0).padStart(6)} ms  ${h.name}`);
      console.log('  self time by file:');
      for (const h of sum.files.slice(0, 15))
        console.log(`    ${pct(h.share).padStart(4)}  ${h.ms.toFixed(0).padStart(6)} ms  ${h.name}`);
    }
    if (files.length === 0) console.log(`\nno .cpuprofile written in ${profDir}`);
  }
  if (cfg.keep) console.log(`\nwork directory kept: ${workDir}`);
  const failed = results.some((r) => r.stoppedBy === 'error');
  await cleanup();
  process.exitCode = failed ? 1 : 0;
}

/** Whatever happens, the bench ends by itself. */
function startWatchdog(seconds: number): void {
  setTimeout(() => {
    console.error(`bench:register: watchdog (${seconds} s) expired, stopping`);
    void cleanup().finally(() => process.exit(1));
  }, seconds * 1000).unref();
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(`bench:register: ${err instanceof Error ? err.message : String(err)}`);
    void cleanup().finally(() => process.exit(1));
  },
);
