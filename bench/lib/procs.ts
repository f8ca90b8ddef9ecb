// Child processes of the bench: started in their own process group, stopped by pid (SIGTERM, then SIGKILL),
// and sampled through /proc for CPU time and memory. Linux only.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface SpawnSpec {
  name: string;
  cmd: string;
  args: string[];
  cwd?: string;
  /** File descriptor for stdout and stderr (a log file), or 'pipe' to read them here. */
  output: number | 'pipe';
}

interface Live {
  name: string;
  child: ChildProcess;
  exited: Promise<void>;
}

/** Every process the bench starts goes through here, so that every exit path can stop them all. */
export class ProcessRegistry {
  readonly #live = new Map<number, Live>();

  spawn(spec: SpawnSpec): ChildProcess {
    const child = spawn(spec.cmd, spec.args, {
      cwd: spec.cwd,
      // Own process group: a Ctrl-C in the terminal reaches only the bench, which then stops the children in
      // order (sipp first, then the server), and a forking server (Kamailio) can be cleaned up as a group.
      detached: true,
      stdio: ['ignore', spec.output, spec.output],
      env: { ...process.env, LC_ALL: 'C' },
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${spec.name} (${spec.cmd})`);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    this.#live.set(pid, { name: spec.name, child, exited });
    void exited.then(() => this.#live.delete(pid));
    return child;
  }

  /** Waits until the process exits, at most `ms`. True if it exited. */
  async waitExit(child: ChildProcess, ms: number): Promise<boolean> {
    if (hasExited(child)) return true;
    const entry = child.pid === undefined ? undefined : this.#live.get(child.pid);
    if (!entry) return hasExited(child);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const done = await Promise.race([entry.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return done;
  }

  /** SIGTERM (or `signal`), up to `graceMs` to exit, then SIGKILL to its process group. */
  async stop(child: ChildProcess, graceMs = 5_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const pid = child.pid;
    if (pid === undefined) return;
    if (!hasExited(child)) {
      signalPid(pid, signal);
      if (!(await this.waitExit(child, graceMs))) {
        signalPid(-pid, 'SIGKILL');
        await this.waitExit(child, 3_000);
      }
    }
    // Leftovers of a forking server whose main process is gone: the group still has members.
    if (groupAlive(pid)) {
      signalPid(-pid, 'SIGKILL');
      for (let i = 0; i < 20 && groupAlive(pid); i++) await sleep(100);
    }
  }

  /** Stops everything still running, sipp before servers (reverse start order). */
  async stopAll(): Promise<void> {
    const entries = [...this.#live.values()].reverse();
    for (const e of entries) await this.stop(e.child, 5_000);
  }

  /** Last resort on process exit (synchronous): SIGKILL every group still alive. */
  killAllNow(): void {
    for (const pid of this.#live.keys()) {
      signalPid(-pid, 'SIGKILL');
    }
  }

  names(): string[] {
    return [...this.#live.values()].map((e) => e.name);
  }
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: already gone
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** utime + stime of one process, in clock ticks; undefined once it is gone. */
export function cpuTicks(pid: number): number | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}

/** VmRSS and VmHWM (peak RSS) of one process, in kB. */
export function memoryKb(pid: number): { rss: number; hwm: number } | undefined {
  const status = readProc(`/proc/${pid}/status`);
  if (!status) return undefined;
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
  if (!rss || !hwm) return undefined;
  return { rss: Number(rss[1]), hwm: Number(hwm[1]) };
}

/** Proportional set size in kB (shared pages split between the processes that map them). */
export function pssKb(pid: number): number | undefined {
  const rollup = readProc(`/proc/${pid}/smaps_rollup`);
  const m = rollup ? /^Pss:\s+(\d+) kB/m.exec(rollup) : null;
  return m ? Number(m[1]) : undefined;
}

/** Direct children of a process (Linux >= 3.5 with CONFIG_PROC_CHILDREN), else a scan of /proc. */
export function childPids(pid: number): number[] {
  const list = readProc(`/proc/${pid}/task/${pid}/children`);
  if (list !== undefined) return list.split(/\s+/).filter(Boolean).map(Number);
  return [];
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
export function machineTicks(): { busy: number; total: number } | undefined {
  const stat = readProc('/proc/stat');
  const line = stat?.split('\n', 1)[0];
  if (!line?.startsWith('cpu ')) return undefined;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Pins every thread of each process to one core (taskset -a), or with `allThreads` false only the thread whose id
 * is the pid (a process's main thread). Returns an error message instead of throwing: a machine without taskset
 * still runs the bench, unpinned, and says so.
 */
export function pinToCore(pids: readonly number[], core: number, allThreads = true): string | undefined {
  const which = allThreads ? ['-a', '-p'] : ['-p'];
  try {
    for (const pid of pids)
      execFileSync('taskset', [...which, '-c', String(core), String(pid)], { stdio: 'ignore' });
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}
