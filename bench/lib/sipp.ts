// Running sipp with the bench scenario and reading its final screens.
import { closeSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cpuTicks, hasExited, type ProcessRegistry } from './procs.js';

export const SIPP = '/usr/bin/sipp';

export interface SippCounts {
  created: number;
  successful: number;
  failed: number;
  /** Sums over the scenario's messages. */
  retrans: number;
  timeouts: number;
  unexpected: number;
  deadCallMsgs: number;
  outOfCallMsgs: number;
  /** Calls created per second over the whole run (sipp's cumulative "Call Rate"). */
  callRate: number;
}

export interface SippRun extends SippCounts {
  exitCode: number | null;
  signal: string | null;
  wallSec: number;
  /** sipp's own CPU time over the run, in clock ticks (sampled, so it may miss the last fraction of a second). */
  cpuTicks: number;
  /** The first error sipp printed, for the step log. */
  firstError: string | undefined;
  outputFile: string;
  parsed: boolean;
}

export interface SippOptions {
  registry: ProcessRegistry;
  /** host:port of the registrar */
  target: string;
  scenario: string;
  csv: string;
  rate: number;
  total: number;
  /** Work directory: sipp's output and error files go here. */
  dir: string;
  label: string;
  /** sipp's global timeout; the process is also killed `hardExtraSec` later if it is still there. */
  timeoutSec: number;
  onSample?: (sippPid: number) => void;
  sampleMs?: number;
}

/**
 * One sipp run: `total` calls of the scenario at `rate` calls/s, one UDP socket, loopback. A call is REGISTER →
 * 401 → REGISTER with credentials → 200. Pass/fail is decided by the caller from the counts.
 */
export async function runSipp(o: SippOptions): Promise<SippRun> {
  const outputFile = join(o.dir, `sipp-${o.label}.out`);
  const fd = openSync(outputFile, 'w');
  // Calls in flight are capped at two seconds' worth: a registrar that answers slower than that fails the step
  // through the achieved-rate check rather than by running sipp out of memory.
  // Capped below sipp's open-files limit (20000 here), which it otherwise warns about.
  const limit = Math.max(500, Math.min(o.rate * 2, 16_000));
  const args = [
    o.target,
    '-sf',
    o.scenario,
    '-inf',
    o.csv,
    '-i',
    '127.0.0.1',
    '-p',
    '0',
    '-t',
    'u1',
    '-r',
    String(o.rate),
    '-rp',
    '1000',
    '-m',
    String(o.total),
    '-l',
    String(limit),
    '-nostdin',
    '-nd',
    '-buff_size',
    String(4 * 1024 * 1024),
    // A registration that gets no answer within 4 s (after sipp's UDP retransmissions at 0.5, 1, 2 s) fails.
    '-recv_timeout',
    '4000',
    '-max_retrans',
    '4',
    '-timeout',
    `${o.timeoutSec}s`,
    '-timeout_error',
    '-trace_err',
    '-error_file',
    join(o.dir, `sipp-${o.label}-errors.log`),
  ];
  const started = process.hrtime.bigint();
  let child;
  try {
    child = o.registry.spawn({ name: `sipp ${o.label}`, cmd: SIPP, args, cwd: o.dir, output: fd });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid!;
  let ticks = 0;
  const sample = () => {
    const t = cpuTicks(pid);
    if (t !== undefined) ticks = t;
    o.onSample?.(pid);
  };
  const sampler = setInterval(sample, o.sampleMs ?? 200);
  try {
    const exited = await o.registry.waitExit(child, (o.timeoutSec + 30) * 1000);
    if (!exited) await o.registry.stop(child, 2_000, 'SIGINT');
  } finally {
    clearInterval(sampler);
  }
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  const text = readFileSync(outputFile, 'utf8');
  const counts = parseSippOutput(text);
  const errorFile = join(o.dir, `sipp-${o.label}-errors.log`);
  const errors = head(errorFile, 64 * 1024);
  // A failing step at a high rate can log tens of MB of errors; the first one is all the report needs.
  rmSync(errorFile, { force: true });
  return {
    ...(counts ?? emptyCounts()),
    parsed: counts !== undefined,
    exitCode: hasExited(child) ? child.exitCode : null,
    signal: child.signalCode,
    wallSec,
    cpuTicks: ticks,
    firstError: firstError(errors) ?? firstError(text),
    outputFile,
  };
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

function emptyCounts(): SippCounts {
  return {
    created: 0,
    successful: 0,
    failed: 0,
    retrans: 0,
    timeouts: 0,
    unexpected: 0,
    deadCallMsgs: 0,
    outOfCallMsgs: 0,
    callRate: 0,
  };
}

/** Reads the last Scenario and Statistics screens that sipp -nd prints on exit. */
export function parseSippOutput(text: string): SippCounts | undefined {
  const scen = text.lastIndexOf('Scenario Screen');
  const stats = text.lastIndexOf('Statistics Screen');
  if (scen < 0 || stats < 0) return undefined;
  const scenario = text.slice(scen, stats > scen ? stats : undefined);
  const statistics = text.slice(stats);
  const cumulative = (name: string): number => {
    const m = new RegExp(`${name}\\s*\\|\\s*([\\d.]+)[^|]*\\|\\s*([\\d.]+)`).exec(statistics);
    return m ? Number(m[2]) : NaN;
  };
  let retrans = 0;
  let timeouts = 0;
  let unexpected = 0;
  // "    REGISTER ---------->   100   0   0" and "     401 <----------   100   0   0   0"
  const line = /^\s*(\S+)\s+(?:-+>|<-+)\s+(\d+)\s+(\d+)\s+(\d+)(?:\s+(\d+))?\s*$/gm;
  for (const m of scenario.matchAll(line)) {
    retrans += Number(m[3]);
    timeouts += Number(m[4]);
    unexpected += Number(m[5] ?? 0);
  }
  const dead = /(\d+) dead call msg/.exec(scenario);
  const ooc = /(\d+) out-of-call msg/.exec(scenario);
  const counts: SippCounts = {
    created: cumulative('Outgoing calls created'),
    successful: cumulative('Successful call'),
    failed: cumulative('Failed call'),
    retrans,
    timeouts,
    unexpected,
    deadCallMsgs: dead ? Number(dead[1]) : 0,
    outOfCallMsgs: ooc ? Number(ooc[1]) : 0,
    callRate: cumulative('Call Rate'),
  };
  return Object.values(counts).some((v) => Number.isNaN(v)) ? undefined : counts;
}

function firstError(text: string): string | undefined {
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (/Maximum number of open sockets/.test(l)) continue;
    if (/aborting call|unexpected message|receive timeout|retransmission|unable|fatal|error:/i.test(l)) {
      // Drop sipp's timestamp prefix.
      return l.replace(/^\d{4}-\d\d-\d\d\s+[\d:.]+\s+[\d.]+:\s*/, '').slice(0, 200);
    }
  }
  return undefined;
}

/** The injection file: user;domain;[authentication ...] per line, used in order. */
export function usersCsv(users: string[], domain: string, password: string): string {
  // sipp expands keywords inside injection fields, so the third field carries the whole Authorization header.
  // (The nested form [authentication username=[field0] ...] in the scenario does not work in sipp 3.6.)
  const lines = users.map((u) => `${u};${domain};[authentication username=${u} password=${password}]`);
  return `SEQUENTIAL\n${lines.join('\n')}\n`;
}
