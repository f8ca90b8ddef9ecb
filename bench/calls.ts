// Call throughput and relayed-media capacity of Zentrale (B2BUA), and the call rate of Kamailio as a stateful
// proxy for reference, driven by sipp.
//
//   npm run bench:calls                     full run: 15 s per rate step, 15 s media windows
//   npm run bench:calls -- --quick          3 s rate steps, 5 s media windows, to try it out
//   npm run bench:calls -- --help           all flags
//
// Set-up: tenant `bench` (bench.zentrale.test) with workplaces 2000 (caller) and 2001 (callee), one device each,
// one random strong password. Zentrale runs as `node bin/zentrale.js serve ... --log-level warn --rtp-ports
// 40000-59999` (dist/ built first if stale; bench/lib/peers.ts). The callee phone is sipp: calls-register.xml
// registers 2001 from a free UDP port P (-m 1), then calls-uas.xml runs on the same port P for the whole phase and
// answers every INVITE (180, 200 with SDP), takes the ACK and answers the BYE.
//
// 1. Calls/s: calls-uac.xml at rising rates (10 ... 5000/s), each step `--duration` s (15; --quick 3), calls of
//    `--hold` ms (1000): INVITE+SDP -> 407 -> ACK -> INVITE with Proxy-Authorization (-au/-ap, MD5) ->
//    [100] [180] 200 -> ACK -> pause -> BYE -> 200. A step passes when sipp exits 0, every call succeeded, no
//    unexpected message arrived, and sipp started the calls at >= 90% of the rate (created / (wall - hold)).
//    The figure is the highest passing rate; after the first failure, --refine bisection steps run on a fresh
//    server. No RTP flows in this part (the SDP points at an idle socket of this process).
// 2. Media: sipp does the signalling on both ends (calls-uac-media.xml, calls-uas.xml); this process makes the
//    media. The caller SDP names socket A, the callee SDP names socket B (one socket each for all calls; streams
//    are told apart by SSRC). sipp logs the relay port of each answered call (m= of the 200 OK, `<log>` action,
//    -trace_logs); from then on A sends that call 50 PCMU packets/s (172 bytes, 20 ms) to it. The relay forwards
//    them to B, and B echoes each packet back to the relay port it came from, so every call carries G.711 both
//    ways through the relay. N calls are set up at --setup-rate/s and held; once all N stream, CPU is measured
//    over a --window s window; then sending stops (before any BYE), 500 ms later the packets are counted. Loss =
//    1 - received/sent over both directions (caller->callee: B vs A's sends; echo: A's receipts vs B's echoes).
//    A step passes with every call completed, media in both directions on every call, and loss < 0.1%. Kernel
//    UDP drops (/proc/net/snmp RcvbufErrors+SndbufErrors+MemErrors, machine-wide) are printed beside it.
// 3. Kamailio (if on PATH): bench/kamailio/proxy.cfg, the same registration, UAS and UAC scenarios and rates.
//    Kamailio challenges REGISTER (401) and INVITE (407) with digest auth like Zentrale (MD5, qop=auth) but
//    against one fixed password (no user lookup), keeps contacts in memory, relays INVITEs statefully (tm) with
//    Record-Route so ACK and BYE pass through it. It does much less than a B2BUA: no media, no port allocation,
//    one transaction per hop instead of two dialogs.
//
// Caveats: the machine's cores are shared by the server, both sipps and (part 2) this process's RTP generator,
// whose CPU is printed per step; loopback UDP is charged partly to the sender. Loopback only; every wait and
// loop is bounded; everything started here is stopped on every exit path (normal end, error,
// SIGINT/SIGTERM/SIGHUP, watchdog).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freeUdpPort, KamailioPeer, ZentralePeer, type Peer } from './lib/peers.js';
import { zentraleEntry } from './lib/zentrale-entry.js';
import { cpuTicks, hasExited, machineTicks, ProcessRegistry, sleep } from './lib/procs.js';
import { summariseProfile } from './lib/profile.js';
import { parseSippOutput, SIPP, type SippCounts } from './lib/sipp.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCEN = join(ROOT, 'bench', 'scenarios');
const UAC = join(SCEN, 'calls-uac.xml');
const UAC_MEDIA = join(SCEN, 'calls-uac-media.xml');
const UAS = join(SCEN, 'calls-uas.xml');
const REGISTER = join(SCEN, 'calls-register.xml');
const KAMAILIO_CFG = join(ROOT, 'bench', 'kamailio', 'proxy.cfg');
const DOMAIN = 'bench.zentrale.test';
const CALLER = '2000';
const CALLEE = '2001';
const RTP_PORTS = process.env.ZENTRALE_TEST_RTP_PORTS ?? '40000-59999';
const RATE_STEPS = [10, 25, 50, 100, 150, 200, 300, 400, 500, 700, 1000, 1500, 2000, 2500, 3000, 4000, 5000];
const CONCURRENCY_STEPS = [25, 50, 100, 200, 300, 400, 600, 800, 1000];
const WARMUP = { rate: 10, seconds: 2 };
/** G.711: 20 ms frames, 160 samples, 160 payload bytes. */
const FRAME_MS = 20;
const PAYLOAD = 160;
const LOSS_LIMIT = 0.001;

const USAGE = `usage: npm run bench:calls -- [flags]
  --quick              3 s rate steps, 5 s media windows, 60 s budget per ramp (default: 15 s, 15 s, 300 s)
  --duration S         seconds per calls/s step (1..120)
  --hold MS            how long each call of the calls/s ramp stays up before the BYE (default 1000)
  --max-rate N         highest calls/s to try (default 5000)
  --window S           seconds of media measured with all calls of a media step up (1..120)
  --max-concurrent N   highest number of concurrent media calls to try (default 1000)
  --setup-rate N       calls/s at which the media calls are set up (default 50)
  --budget S           time budget per ramp in seconds; a ramp stops when the next step would exceed it
  --refine N           bisection steps between the last pass and the first failure (default 1)
  --only PARTS         a list of rate, media, kamailio (default: all three), e.g. --only rate,kamailio
  --profile            run Zentrale under node --cpu-prof (calls/s ramp only) and print its hot spots
  (the relay's ports: ZENTRALE_TEST_RTP_PORTS when set, else 40000-59999)
  --children N         Kamailio UDP worker processes (default 4)
  --tsx                run Zentrale from src/ through tsx instead of the dist/ build
  --keep               keep the work directory (logs, sipp output)`;

type Part = 'rate' | 'media' | 'kamailio';
const PARTS: readonly Part[] = ['rate', 'media', 'kamailio'];

interface Config {
  quick: boolean;
  duration: number;
  holdMs: number;
  maxRate: number;
  window: number;
  maxConcurrent: number;
  setupRate: number;
  budgetSec: number;
  refine: number;
  /** The parts to run (rate, media, kamailio); all three by default. */
  parts: ReadonlySet<Part>;
  profile: boolean;
  children: number;
  tsx: boolean;
  keep: boolean;
}

function parseConfig(argv: string[]): Config {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean' },
      duration: { type: 'string' },
      hold: { type: 'string' },
      'max-rate': { type: 'string' },
      window: { type: 'string' },
      'max-concurrent': { type: 'string' },
      'setup-rate': { type: 'string' },
      budget: { type: 'string' },
      refine: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'boolean' },
      children: { type: 'string' },
      tsx: { type: 'boolean' },
      keep: { type: 'boolean' },
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
  const only = (values.only ?? PARTS.join(',')).split(',').map((p) => p.trim());
  if (only.some((p) => !(PARTS as readonly string[]).includes(p)))
    throw new Error('--only: a list of rate, media and kamailio');
  const profile = values.profile === true;
  return {
    quick,
    duration: int('duration', values.duration, quick ? 3 : 15, 1, 120),
    holdMs: int('hold', values.hold, 1000, 0, 60_000),
    maxRate: int('max-rate', values['max-rate'], 5000, 5, 20000),
    window: int('window', values.window, quick ? 5 : 15, 1, 120),
    maxConcurrent: int('max-concurrent', values['max-concurrent'], 1000, 1, 4000),
    setupRate: int('setup-rate', values['setup-rate'], 50, 1, 1000),
    budgetSec: int('budget', values.budget, quick ? 60 : 300, 10, 3600),
    refine: int('refine', values.refine, 1, 0, 6),
    // Under the profiler the figures are not comparable: the calls/s ramp of Zentrale only.
    parts: new Set((profile ? ['rate'] : only) as Part[]),
    profile,
    children: int('children', values.children, 4, 1, 64),
    tsx: values.tsx === true,
    keep: values.keep === true,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Process lifetime: every child goes through the registry; every exit path stops them all.

const registry = new ProcessRegistry();
const sockets = new Set<Socket>();
let workDir: string | undefined;
let keepWorkDir = false;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const s of sockets) closeSocket(s);
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

function startWatchdog(seconds: number): void {
  setTimeout(() => {
    console.error(`bench:calls: watchdog (${seconds} s) expired, stopping`);
    void cleanup().finally(() => process.exit(1));
  }, seconds * 1000).unref();
}

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
    return /SIPp v([\d.]+)/.exec(String((err as { stdout?: string }).stdout ?? ''))?.[1] ?? 'unknown';
  }
}

function randomLetters(n: number): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ';
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}

function provisioningYaml(password: string): string {
  return [
    '# Generated by bench/calls.ts: one caller and one callee workplace, one device each.',
    'tenants:',
    '  - id: bench',
    '    name: Bench',
    `    domain: ${DOMAIN}`,
    '    workplaces:',
    `      - extension: '${CALLER}'`,
    '        name: Bench Caller',
    '        devices:',
    `          - { username: '${CALLER}', password: '${password}', kind: softphone }`,
    `      - extension: '${CALLEE}'`,
    '        name: Bench Callee',
    '        devices:',
    `          - { username: '${CALLEE}', password: '${password}', kind: softphone }`,
    '',
  ].join('\n');
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function mb(kb: number | undefined): string {
  return kb === undefined ? '?' : `${Math.round(kb / 1024)} MB`;
}

function closeSocket(s: Socket): void {
  try {
    s.close();
  } catch {
    // already closed
  }
  sockets.delete(s);
}

async function udpSocket(onMessage?: (msg: Buffer, port: number, address: string) => void): Promise<Socket> {
  const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  sockets.add(s);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  s.on('error', () => {});
  if (onMessage) s.on('message', (m, r) => onMessage(m, r.port, r.address));
  return s;
}

/** UDP datagrams the kernel dropped, machine-wide (/proc/net/snmp: Udp RcvbufErrors + SndbufErrors + MemErrors). */
function udpKernelDrops(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const vals = lines[1]?.split(/\s+/) ?? [];
    let sum = 0;
    for (const name of ['RcvbufErrors', 'SndbufErrors', 'MemErrors']) {
      const i = names.indexOf(name);
      if (i <= 0) return undefined;
      sum += Number(vals[i]);
    }
    return sum;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// sipp

interface SippResult extends SippCounts {
  parsed: boolean;
  exitCode: number | null;
  signal: string | null;
  wallSec: number;
  cpuTicks: number;
  firstError: string | undefined;
  /** Status codes of the SIP messages quoted in sipp's error log (unexpected responses), e.g. "503 x12". */
  statuses: string;
}

interface SippSpec {
  label: string;
  args: string[];
  dir: string;
  /** Killed (SIGINT, then SIGKILL) this long after start if still running. */
  hardTimeoutSec: number;
  onSample?: () => void;
}

function startSipp(spec: SippSpec): { child: ChildProcess; outputFile: string; errorFile: string } {
  const outputFile = join(spec.dir, `sipp-${spec.label}.out`);
  const errorFile = join(spec.dir, `sipp-${spec.label}-errors.log`);
  const fd = openSync(outputFile, 'w');
  try {
    const child = registry.spawn({
      name: `sipp ${spec.label}`,
      cmd: SIPP,
      args: [...spec.args, '-nostdin', '-nd', '-trace_err', '-error_file', errorFile],
      cwd: spec.dir,
      output: fd,
    });
    return { child, outputFile, errorFile };
  } finally {
    closeSync(fd);
  }
}

async function finishSipp(
  started: { child: ChildProcess; outputFile: string; errorFile: string },
  t0: bigint,
  waitMs: number,
  ticks: () => number,
): Promise<SippResult> {
  const { child, outputFile, errorFile } = started;
  if (!(await registry.waitExit(child, waitMs))) await registry.stop(child, 3_000, 'SIGINT');
  const wallSec = Number(process.hrtime.bigint() - t0) / 1e9;
  const text = readFileSync(outputFile, 'utf8');
  const counts = parseSippOutput(text);
  const errors = head(errorFile, 64 * 1024);
  rmSync(errorFile, { force: true });
  return {
    ...(counts ?? {
      created: 0,
      successful: 0,
      failed: 0,
      retrans: 0,
      timeouts: 0,
      unexpected: 0,
      deadCallMsgs: 0,
      outOfCallMsgs: 0,
      callRate: 0,
    }),
    parsed: counts !== undefined,
    exitCode: child.exitCode,
    signal: child.signalCode,
    wallSec,
    cpuTicks: ticks(),
    firstError: firstError(errors) ?? firstError(text),
    statuses: statusesSeen(errors),
  };
}

/** Runs one sipp to its end (bounded by hardTimeoutSec), sampling its CPU time. */
async function runSipp(spec: SippSpec): Promise<SippResult> {
  const t0 = process.hrtime.bigint();
  const started = startSipp(spec);
  const pid = started.child.pid!;
  let ticks = 0;
  const sampler = setInterval(() => {
    const t = cpuTicks(pid);
    if (t !== undefined) ticks = t;
    spec.onSample?.();
  }, 250);
  try {
    return await finishSipp(started, t0, spec.hardTimeoutSec * 1000, () => ticks);
  } finally {
    clearInterval(sampler);
  }
}

function head(file: string, bytes: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('latin1');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function firstError(text: string): string | undefined {
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (/Maximum number of open sockets/.test(l)) continue;
    if (/aborting call|unexpected message|receive timeout|retransmission|unable|fatal|error:/i.test(l))
      return l.replace(/^\d{4}-\d\d-\d\d\s+[\d:.]+\s+[\d.]+:\s*/, '').slice(0, 240);
  }
  return undefined;
}

/** How often each SIP status line appears in sipp's error log (the messages it quotes). */
function statusesSeen(text: string): string {
  const m = [...text.matchAll(/SIP\/2\.0 (\d{3})/g)].map((x) => x[1]);
  const counts = new Map<string, number>();
  for (const s of m) if (s) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts.entries()].map(([s, n]) => `${s} x${n}`).join(', ');
}

// ---------------------------------------------------------------------------------------------------------------
// The callee phone: registers from port P (sipp, REGISTER with digest), then a sipp UAS on the same port P.

interface Callee {
  child: ChildProcess;
  outputFile: string;
  errorFile: string;
  port: number;
}

async function startCallee(
  target: string,
  dir: string,
  password: string,
  mediaPort: number,
  tag: string,
): Promise<Callee> {
  const port = await freeUdpPort();
  const reg = await runSipp({
    label: `${tag}-register`,
    dir,
    hardTimeoutSec: 25,
    args: [
      target,
      '-sf',
      REGISTER,
      '-key',
      'user',
      CALLEE,
      '-key',
      'domain',
      DOMAIN,
      '-key',
      'expires',
      '3600',
      '-au',
      CALLEE,
      '-ap',
      password,
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      'u1',
      '-m',
      '1',
      '-timeout',
      '15s',
      '-timeout_error',
    ],
  });
  if (reg.exitCode !== 0 || reg.successful !== 1)
    throw new Error(
      `callee registration from port ${port} failed (sipp exit ${reg.exitCode ?? reg.signal}): ${reg.firstError ?? ''}`,
    );
  const uas = startSipp({
    label: `${tag}-uas`,
    dir,
    hardTimeoutSec: 0,
    args: [
      target,
      '-sf',
      UAS,
      '-key',
      'mport',
      String(mediaPort),
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      'u1',
      '-l',
      '20000',
      '-buff_size',
      String(4 << 20),
    ],
  });
  await sleep(300);
  if (hasExited(uas.child)) throw new Error(`callee UAS on port ${port} exited at start`);
  return { ...uas, port };
}

async function stopCallee(c: Callee): Promise<SippResult> {
  // SIGINT: sipp prints its final screens and exits.
  const t0 = process.hrtime.bigint();
  await registry.stop(c.child, 5_000, 'SIGINT');
  return finishSipp(c, t0, 1_000, () => 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Part 1 and 3: sustained calls/s

interface RateStep {
  rate: number;
  seconds: number;
  pass: boolean;
  reasons: string[];
  sipp: SippResult;
  statuses: string;
  serverCpu: number;
  sippCpu: number;
  uasCpu: number | undefined;
  machineBusy: number | undefined;
  memPeakKb: number | undefined;
  /** Resident memory when the step started, kB (for memory per 100 calls up). */
  memStartKb: number | undefined;
  callsPeak: number | undefined;
  txPeak: number | undefined;
  leftover: Record<string, number> | undefined;
}

interface RateResult {
  peer: Peer;
  best: RateStep | undefined;
  firstFail: RateStep | undefined;
  stoppedBy: 'failure' | 'max-rate' | 'budget' | 'error';
  error: string | undefined;
  uasSummary: string | undefined;
}

interface Ctx {
  cfg: Config;
  dir: string;
  password: string;
  sink: Socket;
  /** The callee UAS sipp of the current phase, for its CPU time. */
  uasPid: number | undefined;
}

let stepCounter = 0;

function uacArgs(target: string, password: string, mediaPort: number): string[] {
  return [
    target,
    '-key',
    'caller',
    CALLER,
    '-key',
    'callee',
    CALLEE,
    '-key',
    'domain',
    DOMAIN,
    '-key',
    'mport',
    String(mediaPort),
    '-au',
    CALLER,
    '-ap',
    password,
    '-i',
    '127.0.0.1',
    '-p',
    '0',
    '-t',
    'u1',
    '-buff_size',
    String(4 << 20),
    '-recv_timeout',
    '4000',
    '-max_retrans',
    '4',
    '-timeout_error',
  ];
}

async function rateStep(ctx: Ctx, peer: Peer, rate: number, seconds: number, tag: string): Promise<RateStep> {
  const { cfg } = ctx;
  const label = `${peer.name}-${++stepCounter}-${tag}-${rate}`;
  const total = Math.round(rate * seconds);
  const first = peer.sample(true);
  const c0 = first.cpuTicks;
  const u0 = ctx.uasPid === undefined ? undefined : cpuTicks(ctx.uasPid);
  const m0 = machineTicks();
  const t0 = process.hrtime.bigint();
  let memPeak: number | undefined;
  let callsPeak: number | undefined;
  let txPeak: number | undefined;
  let samples = 0;
  let probing = false;
  const probe = peer.counts
    ? setInterval(() => {
        if (probing) return;
        probing = true;
        void peer.counts!()
          .then((c) => {
            if (typeof c?.calls === 'number') callsPeak = Math.max(callsPeak ?? 0, c.calls);
            if (typeof c?.serverTransactions === 'number')
              txPeak = Math.max(txPeak ?? 0, c.serverTransactions);
          })
          .finally(() => (probing = false));
      }, 1_000)
    : undefined;
  const inFlight = Math.ceil(rate * (cfg.holdMs / 1000 + 2));
  const sipp = await runSipp({
    label,
    dir: ctx.dir,
    hardTimeoutSec: seconds + cfg.holdMs / 1000 + 50,
    args: [
      ...uacArgs(peer.target(), ctx.password, ctx.sink.address().port),
      '-sf',
      UAC,
      '-r',
      String(rate),
      '-rp',
      '1000',
      '-m',
      String(total),
      '-l',
      String(Math.max(100, Math.min(inFlight * 2, 16_000))),
      '-d',
      String(cfg.holdMs),
      '-timeout',
      `${Math.ceil(seconds + cfg.holdMs / 1000 + 20)}s`,
    ],
    onSample: () => {
      samples++;
      const s = peer.sample(samples % 2 === 0);
      if (s.memKb !== undefined) memPeak = Math.max(memPeak ?? 0, s.memKb);
    },
  });
  clearInterval(probe);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const end = peer.sample(true);
  const u1 = ctx.uasPid === undefined ? undefined : cpuTicks(ctx.uasPid);
  const m1 = machineTicks();
  if (end.memKb !== undefined) memPeak = Math.max(memPeak ?? 0, end.memKb);
  const reasons: string[] = [];
  if (!sipp.parsed) reasons.push('no statistics from sipp');
  if (sipp.exitCode !== 0) reasons.push(`sipp exit ${sipp.exitCode ?? sipp.signal}`);
  if (sipp.failed > 0) reasons.push(`${sipp.failed} failed`);
  if (sipp.successful !== total) reasons.push(`${sipp.successful}/${total} succeeded`);
  if (sipp.unexpected > 0) reasons.push(`${sipp.unexpected} unexpected messages`);
  // sipp's own "Call Rate" divides by the whole run, hold time included; the rate at which it started the calls is
  // what matters: all calls must have been started and finished within the step plus one call's length.
  const achieved = sipp.created / Math.max(0.001, sipp.wallSec - cfg.holdMs / 1000);
  if (tag !== 'warmup' && sipp.parsed && achieved < rate * 0.9)
    reasons.push(`sipp reached only ${achieved.toFixed(0)} calls/s`);
  if (!peer.alive()) reasons.push(`${peer.name} exited`);
  // Calls still up on the server after the step (should drain to 0 within a few seconds).
  let leftover: Record<string, number> | undefined;
  if (peer.counts) {
    for (let i = 0; i < 20; i++) {
      const c = await peer.counts();
      leftover = c;
      if (!c || (c.calls === 0 && c.mediaEndpoints === 0)) break;
      await sleep(250);
    }
  }
  return {
    rate,
    seconds,
    pass: reasons.length === 0,
    reasons,
    sipp,
    statuses: sipp.statuses,
    serverCpu: (end.cpuTicks - c0) / CLK_TCK / wall,
    sippCpu: sipp.cpuTicks / CLK_TCK / sipp.wallSec,
    uasCpu: u0 !== undefined && u1 !== undefined ? (u1 - u0) / CLK_TCK / wall : undefined,
    machineBusy: m0 && m1 && m1.total > m0.total ? (m1.busy - m0.busy) / (m1.total - m0.total) : undefined,
    memPeakKb: memPeak,
    memStartKb: first.memKb,
    callsPeak,
    txPeak,
    leftover,
  };
}

function logRateStep(peer: Peer, s: RateStep, tag: string): void {
  const h = `  ${peer.name.padEnd(8)} ${tag.padEnd(7)} ${String(s.rate).padStart(5)} calls/s x ${s.seconds} s`;
  const box = s.machineBusy === undefined ? '' : ` (machine ${pct(s.machineBusy)} busy)`;
  const uas = s.uasCpu === undefined ? '' : `, UAS ${pct(s.uasCpu)}`;
  const cpu = `cpu ${peer.name} ${pct(s.serverCpu)}, sipp UAC ${pct(s.sippCpu)}${uas}${box}`;
  const extra =
    s.callsPeak !== undefined ? `  calls up <= ${s.callsPeak}, server tx <= ${s.txPeak ?? '?'}` : '';
  const mem = `${peer.name === 'kamailio' ? 'PSS' : 'RSS'} ${mb(s.memPeakKb)}${extra}`;
  const counts = `${s.sipp.successful}/${Math.round(s.rate * s.seconds)} ok, retrans ${s.sipp.retrans}`;
  if (s.pass) console.log(`${h}  PASS  ${counts}  ${cpu}  ${mem}`);
  else {
    console.log(`${h}  FAIL  ${s.reasons.join(', ')}; retrans ${s.sipp.retrans}  ${cpu}  ${mem}`);
    if (s.sipp.timeouts > 0) console.log(`           sipp: ${s.sipp.timeouts} timeouts`);
    if (s.sipp.firstError) console.log(`           sipp: ${s.sipp.firstError}`);
    if (s.statuses) console.log(`           responses in sipp's messages: ${s.statuses}`);
  }
  const lo = s.leftover;
  if (lo && (lo.calls !== 0 || lo.mediaEndpoints !== 0))
    console.log(
      `           after the step: ${lo.calls} calls, ${lo.mediaEndpoints} media endpoints still open on ${peer.name}`,
    );
}

async function rampRates(ctx: Ctx, makePeer: () => Peer, rates: number[]): Promise<RateResult> {
  const { cfg } = ctx;
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const pause = cfg.quick ? 1_000 : 2_000;
  const stepCost = (restart: boolean) =>
    cfg.duration + cfg.holdMs / 1000 + pause / 1000 + 5 + (restart ? WARMUP.seconds + 15 : 0);
  const peer = makePeer();
  const result: RateResult = {
    peer,
    best: undefined,
    firstFail: undefined,
    stoppedBy: 'max-rate',
    error: undefined,
    uasSummary: undefined,
  };
  let callee: Callee | undefined;
  const bringUp = async () => {
    await peer.start();
    callee = await startCallee(peer.target(), ctx.dir, ctx.password, ctx.sink.address().port, peer.name);
    ctx.uasPid = callee.child.pid;
    console.log(`  listening on udp:${peer.target()}; callee registered from udp:127.0.0.1:${callee.port}`);
    const w = await rateStep(ctx, peer, WARMUP.rate, WARMUP.seconds, 'warmup');
    logRateStep(peer, w, 'warm-up');
    if (!w.pass) throw new Error(`${peer.name}: the warm-up at ${WARMUP.rate} calls/s failed (see above)`);
  };
  const bringDown = async () => {
    if (callee) {
      const u = await stopCallee(callee);
      ctx.uasPid = undefined;
      result.uasSummary = `callee UAS: ${u.successful} calls completed, ${u.failed} failed, ${u.unexpected} unexpected messages`;
      callee = undefined;
    }
    await peer.stop();
  };
  console.log(`\n${peer.name}: ${peer.description}`);
  try {
    await bringUp();
    for (const rate of rates) {
      if (elapsed() + stepCost(false) > cfg.budgetSec) {
        result.stoppedBy = 'budget';
        break;
      }
      await sleep(pause);
      if (callee && hasExited(callee.child)) throw new Error('the callee UAS (sipp) exited');
      const s = await rateStep(ctx, peer, rate, cfg.duration, 'ramp');
      logRateStep(peer, s, 'ramp');
      if (s.pass) result.best = s;
      else {
        result.firstFail = s;
        result.stoppedBy = 'failure';
        break;
      }
    }
    for (let i = 0; i < cfg.refine && result.firstFail; i++) {
      const lo = result.best?.rate ?? 0;
      const hi = result.firstFail.rate;
      const grain = hi > 1000 ? 100 : hi > 100 ? 25 : 5;
      const mid = Math.round((lo + hi) / 2 / grain) * grain;
      if (mid <= lo || mid >= hi) break;
      if (elapsed() + stepCost(true) > cfg.budgetSec) break;
      // A failed step may leave a backlog, bans or a grown heap behind: refine on a fresh instance.
      await bringDown();
      await bringUp();
      await sleep(pause);
      const s = await rateStep(ctx, peer, mid, cfg.duration, 'refine');
      logRateStep(peer, s, 'refine');
      if (s.pass) result.best = s;
      else result.firstFail = s;
    }
  } catch (err) {
    result.stoppedBy = 'error';
    result.error = (err as Error).message;
    console.log(`  ${peer.name}: ERROR ${result.error}`);
  } finally {
    await bringDown();
    if (result.uasSummary) console.log(`  ${result.uasSummary} (whole run, all steps)`);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Part 2: concurrent G.711 calls with relayed media.
//
// sipp does the signalling on both ends; the media comes from this process. The caller's SDP names socket A, the
// callee's SDP names socket B (one socket each for all calls; streams are told apart by SSRC). sipp logs the relay
// port of each answered call (m= of the 200 OK); from then on A sends that call 50 PCMU packets/s to it. The relay
// forwards them to B, and B echoes every packet back to where it came from (the callee-side relay port), so the
// relay carries both directions of every call. Loss = packets that did not arrive, counted per direction.

interface Stream {
  /** A few packet buffers used in turn: dgram may read a buffer after send() returns. */
  ring: Buffer[];
  ssrc: number;
  port: number;
  startedAt: number;
  seq: number;
  sent: number;
  fwdRecv: number;
  revRecv: number;
}

/** An RTP packet: version 2, PCMU (payload type 0), the SSRC, 20 ms of u-law silence (0xff). */
function rtpTemplate(ssrc: number): Buffer {
  const p = Buffer.alloc(12 + PAYLOAD, 0xff);
  p[0] = 0x80;
  p[1] = 0;
  p.writeUInt32BE(ssrc, 8);
  return p;
}

/** Transit samples kept per step (caller -> relay -> callee), enough for a stable p99. */
const MAX_TRANSITS = 200_000;

class RtpLoad {
  readonly streams = new Map<number, Stream>();
  /** Transit times (ms) of caller->callee packets while `measuring`: send time in the payload, arrival here. */
  readonly transits: number[] = [];
  measuring = false;
  echoed = 0;
  stray = 0;
  #stopped = true;
  #timer: NodeJS.Timeout | undefined;
  #logOffset = 0;

  readonly a: Socket;
  readonly b: Socket;
  readonly ssrcBase: number;
  readonly logFile: string;

  constructor(a: Socket, b: Socket, ssrcBase: number, logFile: string) {
    this.a = a;
    this.b = b;
    this.ssrcBase = ssrcBase;
    this.logFile = logFile;
    b.on('message', this.#onB);
    a.on('message', this.#onA);
  }

  readonly #onB = (msg: Buffer, r: { address: string; port: number }): void => {
    if (msg.length < 12) return;
    const st = this.streams.get(msg.readUInt32BE(8));
    if (!st) {
      this.stray++;
      return;
    }
    st.fwdRecv++;
    if (this.measuring && this.transits.length < MAX_TRANSITS && msg.length >= 20)
      this.transits.push(performance.now() - msg.readDoubleBE(12));
    // Echo: the callee's stream, to the relay port it came from.
    this.echoed++;
    this.b.send(msg, r.port, r.address);
  };

  readonly #onA = (msg: Buffer): void => {
    if (msg.length < 12) return;
    const st = this.streams.get(msg.readUInt32BE(8));
    if (!st) {
      this.stray++;
      return;
    }
    st.revRecv++;
  };

  start(): void {
    this.#stopped = false;
    this.#timer = setInterval(() => this.#tick(), 10);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  detach(): void {
    this.stop();
    this.a.off('message', this.#onA);
    this.b.off('message', this.#onB);
  }

  /** New "CALL <n> <port>" lines of sipp's log file. */
  #pollLog(now: number): void {
    let text = '';
    try {
      const size = statSync(this.logFile).size;
      if (size <= this.#logOffset) return;
      const fd = openSync(this.logFile, 'r');
      try {
        const buf = Buffer.alloc(size - this.#logOffset);
        const n = readSync(fd, buf, 0, buf.length, this.#logOffset);
        text = buf.subarray(0, n).toString('latin1');
      } finally {
        closeSync(fd);
      }
    } catch {
      return;
    }
    const lastNl = text.lastIndexOf('\n');
    if (lastNl < 0) return;
    this.#logOffset += Buffer.byteLength(text.slice(0, lastNl + 1), 'latin1');
    for (const m of text.slice(0, lastNl).matchAll(/CALL (\d+) (\d+)/g)) {
      const ssrc = (this.ssrcBase + Number(m[1])) >>> 0;
      if (!this.streams.has(ssrc))
        this.streams.set(ssrc, {
          ring: Array.from({ length: 8 }, () => rtpTemplate(ssrc)),
          ssrc,
          port: Number(m[2]),
          startedAt: now,
          seq: 0,
          sent: 0,
          fwdRecv: 0,
          revRecv: 0,
        });
    }
  }

  #tick(): void {
    if (this.#stopped) return;
    const now = performance.now();
    this.#pollLog(now);
    for (const st of this.streams.values()) {
      // Packets due since the stream started, at most 5 at once after a stall of this process.
      const due = Math.floor((now - st.startedAt) / FRAME_MS) + 1;
      for (let k = 0; k < 5 && st.sent < due; k++) {
        const p = st.ring[st.seq % st.ring.length]!;
        p.writeUInt16BE(st.seq & 0xffff, 2);
        p.writeUInt32BE((st.seq * PAYLOAD) >>> 0, 4);
        // The send time in the payload (the relay does not look at it): the callee side reads its transit.
        p.writeDoubleBE(performance.now(), 12);
        st.seq++;
        st.sent++;
        this.a.send(p, st.port, '127.0.0.1');
      }
      if (st.sent < due) st.startedAt += (due - st.sent) * FRAME_MS; // give up the backlog, keep 50/s
    }
  }

  totals(): { sent: number; fwd: number; rev: number; silent: number } {
    let sent = 0;
    let fwd = 0;
    let rev = 0;
    let silent = 0;
    for (const s of this.streams.values()) {
      sent += s.sent;
      fwd += s.fwdRecv;
      rev += s.revRecv;
      if (s.fwdRecv === 0 || s.revRecv === 0) silent++;
    }
    return { sent, fwd, rev, silent };
  }
}

interface MediaStep {
  calls: number;
  /** Caller -> relay -> callee transit over the window, ms (this process sends and receives). */
  transitP50?: number;
  transitP99?: number;
  jitterP99?: number;
  pass: boolean;
  reasons: string[];
  established: number;
  sent: number;
  fwd: number;
  echoed: number;
  rev: number;
  lossFwd: number;
  lossRev: number;
  loss: number;
  silentStreams: number;
  windowSec: number;
  serverCpu: number;
  genCpu: number;
  sippCpu: number;
  machineBusy: number | undefined;
  rssKb: number | undefined;
  bridges: number | undefined;
  kernelDrops: number | undefined;
  sipp: SippResult | undefined;
}

interface MediaResult {
  best: MediaStep | undefined;
  firstFail: MediaStep | undefined;
  stoppedBy: 'failure' | 'max' | 'budget' | 'error';
  error: string | undefined;
  peakKb: number | undefined;
  description: string;
}

async function mediaStep(ctx: Ctx, peer: ZentralePeer, n: number, a: Socket, b: Socket): Promise<MediaStep> {
  const { cfg } = ctx;
  const label = `media-${++stepCounter}-${n}`;
  const logFile = join(ctx.dir, `${label}-rtp.log`);
  writeFileSync(logFile, '');
  const setupSec = Math.ceil(n / cfg.setupRate);
  // Each call stays up for the whole set-up phase, the measuring window and a margin, then sends its BYE.
  const holdMs = (setupSec + cfg.window + 4) * 1000;
  const load = new RtpLoad(a, b, (stepCounter << 16) >>> 0, logFile);
  const k0 = udpKernelDrops();
  load.start();
  const t0 = process.hrtime.bigint();
  const started = startSipp({
    label,
    dir: ctx.dir,
    hardTimeoutSec: 0,
    args: [
      ...uacArgs(peer.target(), ctx.password, a.address().port),
      '-sf',
      UAC_MEDIA,
      '-r',
      String(cfg.setupRate),
      '-m',
      String(n),
      '-l',
      String(n),
      '-d',
      String(holdMs),
      '-trace_logs',
      '-log_file',
      logFile,
      '-timeout',
      `${Math.ceil(holdMs / 1000 + setupSec + 30)}s`,
    ],
  });
  const sippPid = started.child.pid!;
  let sippTicks = 0;
  const reasons: string[] = [];
  const step: MediaStep = {
    calls: n,
    pass: false,
    reasons,
    established: 0,
    sent: 0,
    fwd: 0,
    echoed: 0,
    rev: 0,
    lossFwd: 1,
    lossRev: 1,
    loss: 1,
    silentStreams: 0,
    windowSec: 0,
    serverCpu: 0,
    genCpu: 0,
    sippCpu: 0,
    machineBusy: undefined,
    rssKb: undefined,
    bridges: undefined,
    kernelDrops: undefined,
    sipp: undefined,
  };
  try {
    // Wait until every call is answered and streaming (bounded).
    const setupDeadline = Date.now() + (setupSec + 15) * 1000;
    while (load.streams.size < n && Date.now() < setupDeadline && !hasExited(started.child)) await sleep(100);
    step.established = load.streams.size;
    if (step.established < n) {
      reasons.push(`only ${step.established}/${n} calls answered within ${setupSec + 15} s`);
    } else {
      // Let the last streams settle for a second, then measure CPU over the window with all calls up.
      await sleep(1_000);
      const counts = await peer.counts();
      step.bridges = counts?.mediaBridges;
      const c0 = peer.sample(false).cpuTicks;
      const s0 = cpuTicks(sippPid) ?? 0;
      const g0 = process.cpuUsage();
      const m0 = machineTicks();
      const w0 = performance.now();
      load.measuring = true;
      let rss = 0;
      const windowEnd = Date.now() + cfg.window * 1000;
      while (Date.now() < windowEnd) {
        await sleep(250);
        rss = Math.max(rss, peer.sample(true).memKb ?? 0);
      }
      step.windowSec = (performance.now() - w0) / 1000;
      load.measuring = false;
      const g = process.cpuUsage(g0);
      const m1 = machineTicks();
      step.serverCpu = (peer.sample(false).cpuTicks - c0) / CLK_TCK / step.windowSec;
      sippTicks = (cpuTicks(sippPid) ?? s0) - s0;
      step.sippCpu = sippTicks / CLK_TCK / step.windowSec;
      step.genCpu = (g.user + g.system) / 1e6 / step.windowSec;
      step.machineBusy =
        m0 && m1 && m1.total > m0.total ? (m1.busy - m0.busy) / (m1.total - m0.total) : undefined;
      step.rssKb = rss || undefined;
    }
    // Stop sending before any BYE; give the last packets 500 ms to arrive.
    load.stop();
    await sleep(500);
    const t = load.totals();
    step.sent = t.sent;
    step.fwd = t.fwd;
    step.echoed = load.echoed;
    step.rev = t.rev;
    step.silentStreams = t.silent;
    const k1 = udpKernelDrops();
    step.kernelDrops = k0 !== undefined && k1 !== undefined ? k1 - k0 : undefined;
    step.lossFwd = t.sent > 0 ? (t.sent - t.fwd) / t.sent : 1;
    step.lossRev = load.echoed > 0 ? (load.echoed - t.rev) / load.echoed : 1;
    const all = t.sent + load.echoed;
    step.loss = all > 0 ? (all - t.fwd - t.rev) / all : 1;
    const tr = [...load.transits].sort((x, y) => x - y);
    if (tr.length > 0) {
      const at = (q: number) => tr[Math.min(tr.length - 1, Math.floor(q * tr.length))]!;
      step.transitP50 = at(0.5);
      step.transitP99 = at(0.99);
      // Added jitter: how much later than the quickest packet the slow ones arrive (RFC 3550 6.4.1 smooths the
      // same transit differences; a percentile shows the tail a jitter buffer must absorb).
      step.jitterP99 = at(0.99) - tr[0]!;
    }
  } finally {
    load.detach();
  }
  const sipp = await finishSipp(started, t0, (holdMs / 1000 + setupSec + 40) * 1000, () => sippTicks);
  step.sipp = sipp;
  if (sipp.exitCode !== 0) reasons.push(`sipp exit ${sipp.exitCode ?? sipp.signal}`);
  if (sipp.successful !== n) reasons.push(`${sipp.successful}/${n} calls completed`);
  if (sipp.unexpected > 0) reasons.push(`${sipp.unexpected} unexpected messages`);
  if (step.silentStreams > 0) reasons.push(`${step.silentStreams} calls without media in one direction`);
  if (step.established === n && step.loss >= LOSS_LIMIT)
    reasons.push(`loss ${(step.loss * 100).toFixed(3)}% >= ${LOSS_LIMIT * 100}%`);
  if (!peer.alive()) reasons.push('zentrale exited');
  step.pass = reasons.length === 0;
  return step;
}

function logMediaStep(s: MediaStep): void {
  const h = `  zentrale media ${String(s.calls).padStart(5)} calls`;
  const loss =
    `loss ${(s.loss * 100).toFixed(3)}% (caller->callee ${(s.lossFwd * 100).toFixed(3)}%, ` +
    `echo ${(s.lossRev * 100).toFixed(3)}%; ${s.sent + s.echoed} packets sent, ${s.fwd + s.rev} received)`;
  const box = s.machineBusy === undefined ? '' : `, machine ${pct(s.machineBusy)} busy`;
  const cpu =
    `cpu zentrale ${pct(s.serverCpu)}, RTP generator ${pct(s.genCpu)}, sipp UAC ${pct(s.sippCpu)}${box}` +
    ` over ${s.windowSec.toFixed(1)} s`;
  const drops = s.kernelDrops === undefined ? '' : `, kernel UDP drops ${s.kernelDrops}`;
  const bridges = s.bridges === undefined ? '' : `, ${s.bridges} bridges`;
  const jitter =
    s.jitterP99 === undefined
      ? ''
      : `  transit p50 ${s.transitP50!.toFixed(2)} ms, p99 ${s.transitP99!.toFixed(2)} ms, added jitter p99 ${s.jitterP99.toFixed(2)} ms`;
  console.log(
    `${h}  ${s.pass ? 'PASS' : 'FAIL'}  ${loss}${jitter}  ${cpu}  RSS ${mb(s.rssKb)}${bridges}${drops}`,
  );
  if (!s.pass) {
    console.log(`           ${s.reasons.join(', ')}`);
    if (s.sipp?.firstError) console.log(`           sipp: ${s.sipp.firstError}`);
  }
}

async function rampMedia(ctx: Ctx, peer: ZentralePeer): Promise<MediaResult> {
  const { cfg } = ctx;
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const steps = CONCURRENCY_STEPS.filter((c) => c < cfg.maxConcurrent);
  steps.push(cfg.maxConcurrent);
  const result: MediaResult = {
    best: undefined,
    firstFail: undefined,
    stoppedBy: 'max',
    error: undefined,
    peakKb: undefined,
    description: peer.description,
  };
  const a = await udpSocket();
  const b = await udpSocket();
  let callee: Callee | undefined;
  // The media ramp gets twice the rate ramp's budget: its steps are longer.
  const budget = cfg.budgetSec * 2;
  console.log(
    `\nzentrale media: ${peer.description}, --rtp-ports ${RTP_PORTS}; calls set up at ${cfg.setupRate}/s, ` +
      `${cfg.window} s window with all calls up; steps ${steps.join(', ')}`,
  );
  try {
    await peer.start();
    callee = await startCallee(peer.target(), ctx.dir, ctx.password, b.address().port, 'media');
    console.log(`  listening on udp:${peer.target()}; callee registered from udp:127.0.0.1:${callee.port}`);
    for (const n of steps) {
      const cost = Math.ceil(n / cfg.setupRate) * 2 + cfg.window + 12;
      if (elapsed() + cost > budget) {
        result.stoppedBy = 'budget';
        break;
      }
      if (hasExited(callee.child)) throw new Error('the callee UAS (sipp) exited');
      const s = await mediaStep(ctx, peer, n, a, b);
      logMediaStep(s);
      result.peakKb = Math.max(result.peakKb ?? 0, peer.peakKb() ?? 0) || undefined;
      if (s.pass) result.best = s;
      else {
        result.firstFail = s;
        result.stoppedBy = 'failure';
        break;
      }
      // Let the BYEs and the port releases of this step settle.
      for (let i = 0; i < 20; i++) {
        const c = await peer.counts();
        if (!c || (c.calls === 0 && c.mediaEndpoints === 0)) break;
        await sleep(250);
      }
    }
  } catch (err) {
    result.stoppedBy = 'error';
    result.error = (err as Error).message;
    console.log(`  zentrale media: ERROR ${result.error}`);
  } finally {
    result.peakKb = Math.max(result.peakKb ?? 0, peer.peakKb() ?? 0) || undefined;
    if (callee) {
      const u = await stopCallee(callee);
      console.log(
        `  callee UAS: ${u.successful} calls completed, ${u.failed} failed, ${u.unexpected} unexpected messages`,
      );
    }
    await peer.stop();
    closeSocket(a);
    closeSocket(b);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------

function rateFigure(r: RateResult): string {
  if (!r.best) return r.error ? 'error' : `< ${r.firstFail?.rate ?? '?'} calls/s`;
  const ge = r.stoppedBy === 'max-rate' || r.stoppedBy === 'budget' ? '>= ' : '';
  return `${ge}${r.best.rate} calls/s`;
}

/** CPU time of the server per call at a step (CPU seconds per wall second over calls started per second). */
function cpuMsPerCall(s: RateStep): number {
  return (s.serverCpu / Math.max(1, s.rate)) * 1000;
}

/** CPU per call, and memory per 100 calls up: how much the resident set grew over the step per call in progress. */
function perCall(s: RateStep): string {
  const grown =
    s.memPeakKb !== undefined && s.memStartKb !== undefined && s.callsPeak
      ? s.memPeakKb - s.memStartKb
      : undefined;
  const mem =
    grown !== undefined && s.callsPeak
      ? `RSS growth over the step ${mb(Math.max(0, grown))} with <= ${s.callsPeak} calls up: ${(((Math.max(0, grown) / s.callsPeak) * 100) / 1024).toFixed(1)} MB per 100 calls (GC headroom included)`
      : 'memory per 100 calls: not sampled';
  return `CPU ${cpuMsPerCall(s).toFixed(2)} ms per call; ${mem}`;
}

function rateWhy(r: RateResult, cfg: Config): string {
  switch (r.stoppedBy) {
    case 'max-rate':
      return `max rate ${cfg.maxRate}/s reached`;
    case 'budget':
      return `time budget of ${cfg.budgetSec} s used up`;
    case 'error':
      return `error: ${r.error ?? ''}`.slice(0, 300);
    case 'failure': {
      const f = r.firstFail!;
      const first = f.sipp.firstError ? `\n              first sipp error: ${f.sipp.firstError}` : '';
      const st = f.statuses ? `\n              responses seen: ${f.statuses}` : '';
      return `failed at ${f.rate}/s: ${f.reasons.join(', ')}${first}${st}`;
    }
  }
}

async function main(): Promise<void> {
  const cfg = parseConfig(process.argv.slice(2));
  startWatchdog(5 * cfg.budgetSec + 600);
  const rates = RATE_STEPS.filter((r) => r < cfg.maxRate);
  rates.push(cfg.maxRate);
  const kamailio = cfg.parts.has('kamailio') ? onPath('kamailio') : undefined;
  const cores = cpus().length;
  const sippV = sippVersion();
  console.log(
    `bench:calls - calls through Zentrale (B2BUA with media anchored), sipp ${sippV} over UDP on 127.0.0.1\n` +
      `  calls/s: INVITE+SDP -> 407 -> ACK -> INVITE with Proxy-Authorization (MD5) -> 100/180/200 -> ACK -> ${cfg.holdMs} ms -> BYE -> 200\n` +
      `  ${cfg.duration} s per rate step; media: ${cfg.window} s windows; budget ${cfg.budgetSec} s per rate ramp\n` +
      `  ${cores} CPU cores (${cpus()[0]?.model ?? '?'}), SHARED by the server, the sipp UAC, the sipp UAS and (media) this process's RTP generator`,
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

  workDir = mkdtempSync(join(tmpdir(), 'zentrale-bench-calls-'));
  keepWorkDir = cfg.keep;
  const password = `bench-Pw-${randomLetters(12)}-x9`;
  const provisionFile = join(workDir, 'bench.yaml');
  writeFileSync(provisionFile, provisioningYaml(password));
  const dir = join(workDir, 'sipp');
  mkdirSync(dir);
  // Where the SDP of the calls/s ramp points: a bound socket that nobody sends to (no media in that part).
  const sink = await udpSocket();
  const ctx: Ctx = { cfg, dir, password, sink, uasPid: undefined };

  const runsZentrale = cfg.parts.has('rate') || cfg.parts.has('media');
  const { entry, label } = runsZentrale ? zentraleEntry(ROOT, cfg.tsx) : { entry: [], label: '' };
  const profDir = cfg.profile ? mkdtempSync(join(tmpdir(), 'zentrale-bench-prof-')) : undefined;
  const zentrale = () =>
    new ZentralePeer({
      registry,
      root: ROOT,
      workDir: workDir!,
      provisionFile,
      entry,
      entryLabel: label,
      extraServeArgs: ['--rtp-ports', RTP_PORTS],
      cpuProfDir: profDir,
    });

  let z: RateResult | undefined;
  let media: MediaResult | undefined;
  let k: RateResult | undefined;
  if (cfg.parts.has('rate')) z = await rampRates(ctx, zentrale, rates);
  if (cfg.parts.has('media')) media = await rampMedia(ctx, zentrale());
  if (kamailio) {
    k = await rampRates(
      ctx,
      () =>
        new KamailioPeer({
          registry,
          binary: kamailio,
          config: KAMAILIO_CFG,
          workDir: workDir!,
          password,
          children: cfg.children,
        }),
      rates,
    );
  }

  console.log(
    `\nSummary (sipp ${sippV}, UDP, loopback; ${cores} cores shared by the server under test, sipp UAC, sipp UAS` +
      `${media ? ' and the RTP generator' : ''} - the figures are bounded by this machine, not only by the server)`,
  );
  if (z) {
    const at = z.best
      ? `; at that rate: zentrale CPU ${pct(z.best.serverCpu)} of one core, sipp UAC ${pct(z.best.sippCpu)}, RSS ${mb(z.best.memPeakKb)}, calls up <= ${z.best.callsPeak ?? '?'}`
      : '';
    console.log(
      `  1. zentrale sustained calls/s (${cfg.duration} s, 0 failed calls, ${cfg.holdMs} ms calls): ${rateFigure(z)}${at}`,
    );
    console.log(`              ${rateWhy(z, cfg)}`);
    if (z.best) console.log(`              ${perCall(z.best)}`);
  }
  if (media) {
    const b = media.best;
    const fig = b
      ? `${media.stoppedBy === 'failure' ? '' : '>= '}${b.calls} concurrent calls (${b.calls * 2} RTP streams relayed, ${b.calls * 100} packets/s into the relay and as many out), loss ${(b.loss * 100).toFixed(3)}%, added jitter p99 ${b.jitterP99?.toFixed(2) ?? '?'} ms; zentrale CPU ${pct(b.serverCpu)} of one core, RSS ${mb(b.rssKb)} (peak RSS ${mb(media.peakKb)})`
      : media.error
        ? `error: ${media.error}`
        : `< ${media.firstFail?.calls ?? '?'} concurrent calls`;
    console.log(`  2. zentrale concurrent G.711 calls, media relayed, < ${LOSS_LIMIT * 100}% loss: ${fig}`);
    const f = media.firstFail;
    if (f)
      console.log(
        `              first failure at ${f.calls} calls: ${f.reasons.join(', ')}; zentrale CPU ${pct(f.serverCpu)}, RTP generator ${pct(f.genCpu)}`,
      );
    else if (media.stoppedBy === 'budget') console.log('              time budget used up');
  }
  if (k) {
    const at = k.best
      ? `; at that rate: kamailio CPU ${pct(k.best.serverCpu)} (all processes), sipp UAC ${pct(k.best.sippCpu)}, PSS ${mb(k.best.memPeakKb)}`
      : '';
    console.log(`  3. kamailio as a stateful proxy, same sipp load: ${rateFigure(k)}${at}`);
    console.log(`              ${rateWhy(k, cfg)}`);
    if (z?.best && k.best) {
      console.log(`     ratio zentrale/kamailio: ${(z.best.rate / k.best.rate).toFixed(2)}`);
      // CPU per call holds up better than the rate on a shared machine (a starved process is slow, not busy).
      const zc = cpuMsPerCall(z.best);
      const kc = cpuMsPerCall(k.best);
      console.log(
        `     CPU per call at the best rates: zentrale ${zc.toFixed(2)} ms, kamailio ${kc.toFixed(2)} ms (all processes); ratio kamailio/zentrale ${(kc / zc).toFixed(2)}`,
      );
    }
    console.log(
      '     (a proxy does less work than a B2BUA: no media anchoring and no port allocation, one transaction per hop' +
        '\n      instead of two dialogs with two transactions each; Kamailio here challenges INVITE and REGISTER with' +
        '\n      one fixed password (no per-user lookup) and keeps contacts in memory)',
    );
  } else if (cfg.parts.has('kamailio')) {
    console.log('  3. kamailio: skipped (kamailio is not on PATH)');
  }
  console.log('  (percent CPU = CPU seconds per wall second; 100% = one core)');
  if (profDir) {
    await registry.stopAll();
    const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
    for (const f of files) {
      const sum = summariseProfile(join(profDir, f), ROOT, 25);
      console.log(`\nCPU profile ${join(profDir, f)}: ${(sum.totalMs / 1000).toFixed(1)} s sampled`);
      for (const h of sum.functions)
        console.log(`    ${pct(h.share).padStart(4)}  ${h.ms.toFixed(0).padStart(6)} ms  ${h.name}`);
      console.log('  by area:');
      for (const h of sum.areas.slice(0, 12))
        console.log(`    ${pct(h.share).padStart(4)}  ${h.ms.toFixed(0).padStart(6)} ms  ${h.name}`);
    }
  }
  if (cfg.keep) console.log(`\nwork directory kept: ${workDir}`);
  const failed = [z, k].some((r) => r?.stoppedBy === 'error') || media?.stoppedBy === 'error';
  await cleanup();
  process.exitCode = failed ? 1 : 0;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(`bench:calls: ${err instanceof Error ? err.message : String(err)}`);
    void cleanup().finally(() => process.exit(1));
  },
);
