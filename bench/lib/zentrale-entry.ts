// How a bench runs Zentrale: the dist/ build (built first when missing or older than src/), else src/ via tsx.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ZentraleEntry {
  /** Node arguments that start the server (before `serve`). */
  entry: string[];
  label: string;
}

/** Newest modification time of the non-test TypeScript sources under dir (bounded walk). */
function newestSource(dir: string): number {
  let newest = 0;
  let seen = 0;
  const walk = (d: string, depth: number) => {
    if (depth > 12 || seen > 20_000) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      seen++;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
        newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(dir, 0);
  return newest;
}

/** `root`: the repository; `tsx`: run src/ through tsx without building. */
export function zentraleEntry(root: string, tsx: boolean): ZentraleEntry {
  const tsxEntry = { entry: ['--import', 'tsx', 'src/cli/main.ts'], label: 'src/ through tsx' };
  if (tsx) return tsxEntry;
  const built = join(root, 'dist', 'cli', 'main.js');
  const stale = !existsSync(built) || statSync(built).mtimeMs < newestSource(join(root, 'src'));
  if (stale) {
    console.log(`building dist/ (${existsSync(built) ? 'older than src/' : 'missing'}): npm run build ...`);
    try {
      execFileSync(
        process.execPath,
        [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 },
      );
    } catch (err) {
      const out = String((err as { stdout?: Buffer }).stdout ?? '')
        .split('\n')
        .slice(0, 8)
        .join('\n');
      if (!existsSync(built)) {
        console.log(`build failed, running src/ through tsx instead:\n${out}`);
        return tsxEntry;
      }
      console.log(`warning: build reported errors (src/ may be mid-edit); using dist/ as emitted:\n${out}`);
      return { entry: ['bin/zentrale.js'], label: 'dist/ build (with build errors!)' };
    }
  }
  return { entry: ['bin/zentrale.js'], label: 'dist/ build' };
}
