import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCENARIOS = fileURLToPath(new URL('../scenarios/', import.meta.url));

export interface SippRun {
  /** sipp's exit code: 0 = every call succeeded, 1 = at least one failed, 97/99 = aborted or fatal. */
  code: number;
  stdout: string;
  stderr: string;
  /** The messages sipp sent and received (from -trace_msg), when `trace` was asked. */
  messages: string;
}

export interface SippOptions {
  scenario: string;
  /** Target, e.g. "127.0.0.1:5060". */
  target: string;
  transport?: 'u1' | 'un' | 't1' | 'tn';
  keys?: Record<string, string | number>;
  /** Local address to send from (any 127.0.0.0/8 address). */
  localIp?: string;
  /** Local port; default: one sipp picks (so consecutive runs may bind different contacts). */
  localPort?: number;
  calls?: number;
  rate?: number;
  timeoutS?: number;
  trace?: boolean;
  extra?: string[];
}

/** Runs one sipp process to completion (bounded by -timeout) and collects its output. */
export async function runSipp(o: SippOptions): Promise<SippRun> {
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-sipp-'));
  const args = [
    '-sf',
    join(SCENARIOS, o.scenario),
    '-t',
    o.transport ?? 'u1',
    '-i',
    o.localIp ?? '127.0.0.1',
    '-p',
    String(o.localPort ?? 0),
    '-m',
    String(o.calls ?? 1),
    '-r',
    String(o.rate ?? 10),
    '-timeout',
    `${o.timeoutS ?? 15}s`,
    '-timeout_error',
    '-max_retrans',
    '3',
    '-nostdin',
    '-nd',
    '-trace_err',
    '-error_file',
    join(dir, 'errors.log'),
  ];
  if (o.trace) args.push('-trace_msg', '-message_file', join(dir, 'messages.log'));
  for (const [k, v] of Object.entries(o.keys ?? {})) args.push('-key', k, String(v));
  args.push(...(o.extra ?? []), o.target);
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  let messages = '';
  for (const f of readdirSync(dir))
    if (f.startsWith('messages')) messages += readFileSync(join(dir, f), 'utf8');
  for (const f of readdirSync(dir)) if (f.startsWith('errors')) stderr += readFileSync(join(dir, f), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  return { code, stdout, stderr, messages };
}

/** Responses sipp received, as [start line, headers] pairs, in order. */
export function receivedResponses(messages: string): Array<{ status: number; text: string }> {
  const out: Array<{ status: number; text: string }> = [];
  const blocks = messages.split(/-{20,} [^\n]*\n/);
  for (const b of blocks) {
    const m =
      /^(?:.*\n)?\s*(?:UDP|TCP) message received \[\d+\] bytes :\s*\n+(SIP\/2\.0 (\d{3})[^\n]*\n[\s\S]*)/m.exec(
        b,
      );
    if (m) out.push({ status: Number(m[2]), text: m[1]!.trim() });
  }
  return out;
}
