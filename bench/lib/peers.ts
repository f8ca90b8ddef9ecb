// The two registrars under test: Zentrale (node, this repository) and Kamailio (reference). Each start() gives a
// fresh instance; stop() ends it and everything it forked.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { childPids, cpuTicks, hasExited, memoryKb, pssKb, sleep, type ProcessRegistry } from './procs.js';
import { SERVER_NODE_FLAGS } from './server-runtime.js';

export interface PeerSample {
  /** Sum over the peer's processes, clock ticks. */
  cpuTicks: number;
  /** Resident memory now, kB (Zentrale: VmRSS; Kamailio: PSS summed over its processes). */
  memKb: number | undefined;
}

export interface LogEvents {
  bans: number;
  authFailures: number;
  errors: number;
  firstError: string | undefined;
}

export interface Peer {
  readonly name: string;
  /** e.g. "node v20.19.0, dist/ build" */
  readonly description: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** host:port for sipp */
  target(): string;
  alive(): boolean;
  sample(withMemory: boolean): PeerSample;
  /** The processes of the running instance (for pinning them to a core). */
  pids(): number[];
  /** Peak resident memory of the current instance so far, kB (VmHWM; for Kamailio the sampled PSS peak). */
  peakKb(): number | undefined;
  /** Marks the log so that events() counts from here. */
  markLog(): void;
  events(): LogEvents;
  /** Internal resource counts, if the peer exposes them (Zentrale: GET /debug/counts). */
  counts?(): Promise<Record<string, number> | undefined>;
}

/** CPU ticks and (when asked) VmRSS of one process; zeros before it runs. */
export function sampleProcess(pid: number | undefined, withMemory: boolean): PeerSample {
  if (pid === undefined) return { cpuTicks: 0, memKb: undefined };
  return { cpuTicks: cpuTicks(pid) ?? 0, memKb: withMemory ? memoryKb(pid)?.rss : undefined };
}

/** VmHWM of one process, kB. */
export function peakRssKb(pid: number | undefined): number | undefined {
  return pid === undefined ? undefined : memoryKb(pid)?.hwm;
}

export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

class LogFile {
  readonly path: string;
  #mark = 0;
  constructor(path: string) {
    this.path = path;
  }
  open(): number {
    this.#mark = 0;
    return openSync(this.path, 'a');
  }
  size(): number {
    try {
      return statSync(this.path).size;
    } catch {
      return 0;
    }
  }
  mark(): void {
    this.#mark = this.size();
  }
  /** Text since the mark, at most the first 4 MB of it. */
  sinceMark(): string {
    const end = Math.min(this.size(), this.#mark + 4 * 1024 * 1024);
    if (end <= this.#mark) return '';
    const fd = openSync(this.path, 'r');
    try {
      const buf = Buffer.alloc(end - this.#mark);
      const n = readSyncAll(fd, buf, this.#mark);
      return buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  }
  tail(bytes = 2000): string {
    const text = readFileSync(this.path, 'utf8');
    return text.slice(-bytes);
  }
}

function readSyncAll(fd: number, buf: Buffer, position: number): number {
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, position + off);
    if (n <= 0) break;
    off += n;
  }
  return off;
}

export async function waitFor(
  what: string,
  ms: number,
  check: () => Promise<boolean>,
  alive: () => boolean,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`${what}: the process exited during start-up`);
    if (await check()) return;
    await sleep(150);
  }
  throw new Error(`${what}: not ready after ${ms / 1000} s`);
}

// ---------------------------------------------------------------------------------------------------------------
// Zentrale

export interface ZentraleOptions {
  registry: ProcessRegistry;
  root: string;
  workDir: string;
  provisionFile: string;
  /** node arguments and the script: e.g. ['bin/zentrale.js'] or ['--import', 'tsx', 'src/cli/main.ts'] */
  entry: string[];
  entryLabel: string;
  extraServeArgs: string[];
  cpuProfDir: string | undefined;
}

export class ZentralePeer implements Peer {
  readonly name = 'zentrale';
  readonly description: string;
  readonly #o: ZentraleOptions;
  readonly #log: LogFile;
  #child: ChildProcess | undefined;
  #sipPort = 0;
  #httpPort = 0;
  #instances = 0;

  constructor(o: ZentraleOptions) {
    this.#o = o;
    this.#log = new LogFile(join(o.workDir, 'zentrale.log'));
    this.description = `node ${process.version}, ${o.entryLabel}, 1 process`;
  }

  async start(): Promise<void> {
    if (this.#child && !hasExited(this.#child)) throw new Error('zentrale already running');
    this.#instances++;
    const dataDir = mkdtempSync(join(this.#o.workDir, `zentrale-data-${this.#instances}-`));
    this.#sipPort = await freeUdpPort();
    const httpPort = await freeTcpPort();
    this.#httpPort = httpPort;
    const nodeArgs = [
      // What the shebang of bin/zentrale.js gives the server when it runs as `npx zentrale`.
      ...SERVER_NODE_FLAGS,
      ...(this.#o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', this.#o.cpuProfDir] : []),
      // BENCH_ZENTRALE_NODE_FLAGS: extra node flags for the server (e.g. --perf-basic-prof for perf(1), --trace-gc).
      ...(process.env.BENCH_ZENTRALE_NODE_FLAGS ?? '').split(' ').filter(Boolean),
    ];
    const args = [
      ...nodeArgs,
      ...this.#o.entry,
      'serve',
      '--data',
      dataDir,
      '--provision',
      this.#o.provisionFile,
      '--sip',
      `udp:127.0.0.1:${this.#sipPort}`,
      '--http',
      `127.0.0.1:${httpPort}`,
      '--log-level',
      'warn',
      // The load comes from one sipp on one address: for the per-source limits that is a flood by design, and the
      // peers run without theirs (no pike), so the bench measures the registrar and the calls, not the guard.
      '--sip-rate',
      '0',
      '--auth-ban-seconds',
      '0',
      ...this.#o.extraServeArgs,
    ];
    const fd = this.#log.open();
    try {
      this.#child = this.#o.registry.spawn({
        name: 'zentrale',
        cmd: process.execPath,
        args,
        cwd: this.#o.root,
        output: fd,
      });
    } finally {
      closeSync(fd);
    }
    const url = `http://127.0.0.1:${httpPort}/healthz`;
    try {
      await waitFor(
        'zentrale /healthz',
        60_000,
        async () => {
          try {
            const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
            await res.body?.cancel();
            return res.status === 200;
          } catch {
            return false;
          }
        },
        () => this.alive(),
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- zentrale log (tail) ---\n${this.#log.tail()}`, {
        cause: err,
      });
    }
  }

  async stop(): Promise<void> {
    // Graceful SIGTERM: zentrale closes SIP, HTTP and the store and exits 0 (and writes its CPU profile).
    if (this.#child) await this.#o.registry.stop(this.#child, 15_000);
    this.#child = undefined;
  }

  target(): string {
    return `127.0.0.1:${this.#sipPort}`;
  }

  alive(): boolean {
    return this.#child !== undefined && !hasExited(this.#child);
  }

  sample(withMemory: boolean): PeerSample {
    return sampleProcess(this.#child?.pid, withMemory);
  }

  pids(): number[] {
    return this.#child?.pid === undefined ? [] : [this.#child.pid];
  }

  peakKb(): number | undefined {
    return peakRssKb(this.#child?.pid);
  }

  markLog(): void {
    this.#log.mark();
  }

  async counts(): Promise<Record<string, number> | undefined> {
    if (!this.alive()) return undefined;
    try {
      const res = await fetch(`http://127.0.0.1:${this.#httpPort}/debug/counts`, {
        signal: AbortSignal.timeout(2_000),
      });
      if (res.status !== 200) {
        await res.body?.cancel();
        return undefined;
      }
      return (await res.json()) as Record<string, number>;
    } catch {
      return undefined;
    }
  }

  events(): LogEvents {
    const text = this.#log.sinceMark();
    const count = (re: RegExp) => (text.match(re) ?? []).length;
    const errLine = text.split('\n').find((l) => /"level":"(error|fatal)"|auth\.ban/.test(l));
    return {
      bans: count(/"event":"auth\.ban"/g),
      authFailures: count(/"event":"auth\.failure"/g),
      errors: count(/"level":"(error|fatal)"/g),
      firstError: errLine?.slice(0, 300),
    };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Kamailio

export interface KamailioOptions {
  registry: ProcessRegistry;
  binary: string;
  config: string;
  workDir: string;
  password: string;
  children: number;
}

export function kamailioVersion(binary: string): string {
  try {
    const out = execFileSync(binary, ['-v'], { encoding: 'utf8', timeout: 5_000 });
    return /kamailio (\S+)/.exec(out)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export class KamailioPeer implements Peer {
  readonly name = 'kamailio';
  readonly description: string;
  readonly #o: KamailioOptions;
  readonly #log: LogFile;
  #child: ChildProcess | undefined;
  #port = 0;
  #pids: number[] = [];
  #peakPss = 0;

  constructor(o: KamailioOptions) {
    this.#o = o;
    this.#log = new LogFile(join(o.workDir, 'kamailio.log'));
    this.description = `${kamailioVersion(o.binary)}, children=${o.children} (UDP workers; plus main, timer and helper processes), usrloc in memory (db_mode 0), shm 64 MB, pkg 8 MB`;
  }

  async start(): Promise<void> {
    if (this.#child && !hasExited(this.#child)) throw new Error('kamailio already running');
    this.#port = await freeUdpPort();
    this.#peakPss = 0;
    const args = [
      '-f',
      this.#o.config,
      '-DD',
      '-E',
      '-m',
      '64',
      '-M',
      '8',
      '-n',
      String(this.#o.children),
      '-P',
      join(this.#o.workDir, 'kamailio.pid'),
      '-A',
      `BENCH_LISTEN=udp:127.0.0.1:${this.#port}`,
      '-A',
      `BENCH_PASSWORD="${this.#o.password}"`,
    ];
    const fd = this.#log.open();
    try {
      this.#child = this.#o.registry.spawn({
        name: 'kamailio',
        cmd: this.#o.binary,
        args,
        cwd: this.#o.workDir,
        output: fd,
      });
    } finally {
      closeSync(fd);
    }
    try {
      await waitFor(
        'kamailio OPTIONS probe',
        20_000,
        () => optionsProbe(this.#port),
        () => this.alive(),
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- kamailio log (tail) ---\n${this.#log.tail()}`, {
        cause: err,
      });
    }
    const main = this.#child.pid!;
    this.#pids = [main, ...childPids(main)];
  }

  async stop(): Promise<void> {
    // SIGTERM to the main process: it stops its children; registry.stop() kills the group if any are left.
    if (this.#child) await this.#o.registry.stop(this.#child, 10_000);
    this.#child = undefined;
    this.#pids = [];
  }

  target(): string {
    return `127.0.0.1:${this.#port}`;
  }

  alive(): boolean {
    return this.#child !== undefined && !hasExited(this.#child);
  }

  processCount(): number {
    return this.#pids.length;
  }

  pids(): number[] {
    return [...this.#pids];
  }

  sample(withMemory: boolean): PeerSample {
    let ticks = 0;
    let pss = 0;
    for (const pid of this.#pids) {
      ticks += cpuTicks(pid) ?? 0;
      if (withMemory) pss += pssKb(pid) ?? 0;
    }
    if (withMemory && pss > this.#peakPss) this.#peakPss = pss;
    return { cpuTicks: ticks, memKb: withMemory ? pss : undefined };
  }

  peakKb(): number | undefined {
    return this.#peakPss || undefined;
  }

  markLog(): void {
    this.#log.mark();
  }

  events(): LogEvents {
    const text = this.#log.sinceMark();
    const lines = text.split('\n').filter((l) => /\b(ERROR|CRITICAL|ALERT|BUG)\b/.test(l));
    return { bans: 0, authFailures: 0, errors: lines.length, firstError: lines[0]?.slice(0, 300) };
  }
}

/** Sends one SIP OPTIONS to 127.0.0.1:port and waits up to 300 ms for a 200. */
export async function optionsProbe(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => resolve());
    });
    const local = s.address().port;
    const id = randomBytes(8).toString('hex');
    const msg = [
      `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-${id};rport`,
      'Max-Forwards: 70',
      `From: <sip:probe@127.0.0.1>;tag=${id}`,
      `To: <sip:127.0.0.1:${port}>`,
      `Call-ID: ${id}@127.0.0.1`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const answered = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 300);
      s.on('message', (m) => {
        if (m.toString('latin1').startsWith('SIP/2.0 200')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
    });
    s.send(msg, port, '127.0.0.1');
    return await answered;
  } catch {
    return false;
  } finally {
    s.close();
  }
}
