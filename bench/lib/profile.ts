// Summary of a V8 .cpuprofile (node --cpu-prof): self time per function and per file.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  functions: HotSpot[];
  files: HotSpot[];
  /** Self time by area: a source folder (dist/sip/message -> src/sip/message), an npm package, node internals. */
  areas: HotSpot[];
}

export function summariseProfile(file: string, root: string, top = 20): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>(prof.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; attribute the following delta to sample i (V8's convention
  // differs by one sample, which does not matter for a summary).
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i]!;
    const dt = prof.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
  }
  let totalUs = 0;
  let idleUs = 0;
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const where = url ? `${shortUrl(url, root)}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where ? `  ${where}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    const fileKey = url ? shortUrl(url, root) : functionName;
    files.set(fileKey, (files.get(fileKey) ?? 0) + us);
    const area = areaOf(url ? shortUrl(url, root) : functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const rank = (m: Map<string, number>): HotSpot[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / busyUs }));
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    functions: rank(fns),
    files: rank(files),
    areas: rank(areas),
  };
}

function shortUrl(url: string, root: string): string {
  if (url.startsWith('file://')) {
    const path = fileURLToPath(url);
    const rel = relative(root, path);
    return rel.startsWith('..') ? path : rel;
  }
  return url;
}

function areaOf(file: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return `npm ${pkg[1]}`;
  const own = /^(?:dist|src)\/([^/]+)(?:\/([^/]+)\/)?/.exec(file);
  if (own) return own[2] ? `src/${own[1]}/${own[2]}` : `src/${own[1]}`;
  if (file.startsWith('node:'))
    return `node ${file.slice(5).split('/')[0] === 'internal' ? file.slice(5).split('/').slice(0, 2).join('/') : file.slice(5)}`;
  return file || '(native)';
}

/**
 * Runs `work` under the V8 CPU profiler of this process (the same sampler as `node --cpu-prof`, but only around
 * the part being measured, so start-up and set-up do not drown it) and writes the profile to `file`.
 */
export async function profileWhile<T>(file: string, work: () => Promise<T>): Promise<T> {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    let result: T;
    try {
      result = await work();
    } finally {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
    }
    return result;
  } finally {
    session.disconnect();
  }
}

/** The summary as text lines: top functions and areas by self time. */
export function formatProfile(sum: ProfileSummary, functions = 25, areas = 15): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const out = [`  ${(sum.totalMs / 1000).toFixed(2)} s sampled, ${(sum.idleMs / 1000).toFixed(2)} s idle`];
  out.push('  self time by function (share of busy time):');
  for (const h of sum.functions.slice(0, functions))
    out.push(`    ${pct(h.share).padStart(6)}  ${h.ms.toFixed(0).padStart(6)} ms  ${h.name}`);
  out.push('  self time by area:');
  for (const h of sum.areas.slice(0, areas))
    out.push(`    ${pct(h.share).padStart(6)}  ${h.ms.toFixed(0).padStart(6)} ms  ${h.name}`);
  return out;
}
