import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_YAML, LEAK_KEYS } from './server.js';

const BIN = fileURLToPath(new URL('../../../bin/zentrale.js', import.meta.url));
const RTP = process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999';

/** `zentrale serve` as a child process on free loopback ports, as an operator (or systemd) runs it. */
export class ServerProcess {
  readonly proc: ChildProcess;
  stderr = '';
  readonly exited: Promise<number | null>;
  tls = '';
  udp = '';
  http = '';
  #stdout = '';

  /** `sip`: the listeners (every test finds its own ports in the startup line). */
  constructor(dataDir: string, extra: string[], sip = 'udp:127.0.0.1:0,tls:127.0.0.1:0') {
    this.proc = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--data',
        dataDir,
        '--sip',
        sip,
        '--http',
        '127.0.0.1:0',
        '--provision',
        DEMO_YAML,
        '--rtp-ports',
        RTP,
        ...extra,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc.stdout!.on('data', (d: Buffer) => (this.#stdout += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.proc.once('exit', (code) => r(code)));
  }

  /** Waits for the startup line and reads the bound ports from it. */
  async up(): Promise<this> {
    const end = Date.now() + 30_000;
    for (;;) {
      const line = this.#stdout.split('\n').find((l) => l.includes('"server.started"'));
      if (line) {
        const s = JSON.parse(line) as { sip: Array<{ protocol: string; port: number }>; http: string };
        const at = (p: string) => {
          const l = s.sip.find((x) => x.protocol === p);
          return l ? `127.0.0.1:${l.port}` : '';
        };
        this.tls = at('tls');
        this.udp = at('udp');
        this.http = s.http;
        return this;
      }
      if (Date.now() > end || this.proc.exitCode !== null)
        throw new Error(`server did not start:\n${this.stderr}\n${this.#stdout}`);
      await sleep(100);
    }
  }

  stdout(): string {
    return this.#stdout;
  }

  async counts(): Promise<Record<string, number>> {
    return (await (await fetch(`${this.http}/debug/counts`)).json()) as Record<string, number>;
  }

  /** The leak check of the other e2e tests, over HTTP: the live counts come back to `baseline`. */
  async assertBaseline(baseline: Record<string, number>, timeoutMs = 8000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const now = await this.counts();
      const diff = LEAK_KEYS.filter((k) => now[k] !== baseline[k]);
      if (diff.length === 0) return;
      if (Date.now() > end)
        throw new Error(`left behind: ${diff.map((k) => `${k}=${now[k]} (was ${baseline[k]})`).join(', ')}`);
      await sleep(100);
    }
  }

  async waitStderr(re: RegExp, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!re.test(this.stderr)) {
      if (Date.now() > end) throw new Error(`no ${re} on stderr:\n${this.stderr}`);
      await sleep(50);
    }
  }
}
