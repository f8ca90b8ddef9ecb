#!/usr/bin/env node
// Prints every import circle among src/**/*.ts (relative imports, including `import type`, which still couples
// the modules' meaning) and exits non-zero when there is any.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const files = walk(src);
const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]/g;
const graph = new Map();
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const deps = new Set();
  for (const m of text.matchAll(importRe)) {
    const target = resolve(dirname(f), m[1].replace(/\.js$/, '.ts'));
    const candidates = [target, `${target}.ts`, join(target, 'index.ts')];
    const hit = candidates.find((c) => existsSync(c) && c.endsWith('.ts'));
    if (hit) deps.add(hit);
  }
  graph.set(f, [...deps]);
}

// Tarjan's strongly connected components; every component of more than one module is a circle.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
function strong(v) {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1) components.push(comp);
  }
}
for (const f of files) if (!idx.has(f)) strong(f);

const rel = (f) => relative(src, f);
// A component is named by its sorted members.
let failed = 0;
for (const comp of components) {
  const name = comp.map(rel).sort().join(' <-> ');
  failed++;
  console.log(`CIRCLE: ${name}`);
}
if (components.length === 0) console.log('no import circles');
process.exit(failed > 0 ? 1 : 0);
