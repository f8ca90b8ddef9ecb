import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSipp } from './support/sipp.js';
import { DEMO_DOMAIN, DEMO_PASSWORDS, DEMO_YAML } from './support/server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'zentrale.js');
// Fixed loopback ports for the spawned server (e2e files run one at a time).
const SIP_PORT = 25460;
const HTTP_PORT = 25480;

async function waitHealthy(url: string, ms = 15_000): Promise<Response> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return r;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not healthy in ${ms} ms`);
    await sleep(200);
  }
}

describe('the zentrale command', () => {
  it('serves: health, REGISTER over UDP, structured logs, clean SIGTERM', async () => {
    const data = mkdtempSync(join(tmpdir(), 'zentrale-cli-'));
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--provision', DEMO_YAML, '--http', `127.0.0.1:${HTTP_PORT}`],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          ZENTRALE_DATA: data,
          ZENTRALE_SIP: `udp:127.0.0.1:${SIP_PORT},tcp:127.0.0.1:${SIP_PORT}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const health = await (await waitHealthy(`http://127.0.0.1:${HTTP_PORT}/healthz`)).json();
      assert.deepEqual(health, { status: 'ok', sip: true, store: true });
      const r = await runSipp({
        scenario: 'register-auth.xml',
        target: `127.0.0.1:${SIP_PORT}`,
        keys: { user: '100', domain: DEMO_DOMAIN, expires: 300 },
        extra: ['-au', '100', '-ap', DEMO_PASSWORDS['100']!],
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const bad = await runSipp({
        scenario: 'register-refused.xml',
        target: `127.0.0.1:${SIP_PORT}`,
        keys: { user: '100', domain: DEMO_DOMAIN, expires: 300 },
        extra: ['-au', '100', '-ap', 'wrong-password-77'],
      });
      assert.equal(bad.code, 0);
      const notFound = await fetch(`http://127.0.0.1:${HTTP_PORT}/nope`);
      assert.equal(notFound.status, 404);
      assert.equal(((await notFound.json()) as { error: string }).error, 'NOT_FOUND');
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    assert.equal(code, 0, out);
    // Every stdout line is JSON with a level and an event; no secrets.
    const lines = out.split('\n').filter((l) => l.startsWith('{'));
    assert.ok(lines.length > 3);
    for (const l of lines) assert.ok(JSON.parse(l).level, l);
    assert.ok(lines.some((l) => JSON.parse(l).event === 'auth.failure'));
    assert.ok(!out.includes('wrong-password-77') && !out.includes(DEMO_PASSWORDS['100']!));
    // The binding was flushed to the store before exit.
    const again = spawnSync(process.execPath, [BIN, 'provision', DEMO_YAML, '--dry-run', '--data', data], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /no changes/);
    rmSync(data, { recursive: true, force: true });
  });

  it('provision: rejects a bad file whole, naming line and field; --dry-run applies nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zentrale-prov-'));
    try {
      const good = readFileSync(DEMO_YAML, 'utf8');
      // Break the second tenant's first device password (weak) — the first tenant must not be applied either.
      const bad = good.replace(/(tenants:[\s\S]*- id: other[\s\S]*?password: )'[^']*'/, "$1'short'");
      assert.notEqual(bad, good);
      const badFile = join(dir, 'bad.yaml');
      writeFileSync(badFile, bad);
      const r = spawnSync(process.execPath, [BIN, 'provision', badFile, '--data', dir], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      assert.equal(r.status, 2);
      const line = bad.split('\n').findIndex((l) => l.includes("'short'")) + 1;
      assert.match(
        r.stderr,
        new RegExp(`bad\\.yaml:${line}:\\d+ tenants\\[1\\]\\.workplaces\\[0\\]\\.devices\\[0\\]\\.password`),
      );
      const dry = spawnSync(process.execPath, [BIN, 'provision', DEMO_YAML, '--dry-run', '--data', dir], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      assert.equal(dry.status, 0, dry.stderr);
      assert.match(dry.stdout, /\+ tenant demo/);
      assert.match(dry.stdout, /\+ tenant other/);
      // Nothing was applied by the failed run nor by the dry run.
      const dry2 = spawnSync(process.execPath, [BIN, 'provision', DEMO_YAML, '--dry-run', '--data', dir], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      assert.match(dry2.stdout, /\+ tenant demo/);
      const apply = spawnSync(process.execPath, [BIN, 'provision', DEMO_YAML, '--data', dir], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      assert.equal(apply.status, 0, apply.stderr);
      const again = spawnSync(process.execPath, [BIN, 'provision', DEMO_YAML, '--data', dir], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      assert.match(again.stdout, /no changes/);
      assert.ok(!apply.stdout.includes('Pa55word'), 'no password printed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad flags with a readable message', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--http', 'nonsense'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--http: expected host:port/);
  });
});
