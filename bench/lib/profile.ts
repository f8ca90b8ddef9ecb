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
