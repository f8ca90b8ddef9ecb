import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseServeOptions } from '../../../src/cli/options.js';
import { startServer, type Server, type StartOptions } from '../../../src/cli/server.js';
import { createLogger } from '../../../src/util/log.js';

export const DEMO_YAML = fileURLToPath(new URL('../../../examples/demo.yaml', import.meta.url));
export const DEMO_DOMAIN = 'demo.zentrale.test';
/** From examples/demo.yaml (public demo credentials). */
export const DEMO_PASSWORDS: Record<string, string> = {
  '100': 'demo-Heiden-Pa55word',
  '101': 'demo-Brandt-Pa55word',
};
/** Web logins (API) of examples/demo.yaml; 100 is the demo tenant's admin. */
export const DEMO_WEB_PASSWORDS: Record<string, string> = {
  '100': 'web-Heiden-Pa55word',
  '101': 'web-Brandt-Pa55word',
  '102': 'web-Krueger-Pa55word',
  '103': 'web-Vogel-Pa55word',
};

export interface TestServer {
  server: Server;
  dataDir: string;
  udp: string;
  tcp: string;
  ws: string;
  /** Every JSON log line the server wrote. */
  logs: Array<Record<string, unknown>>;
  /** Counts at rest right after start; assertBaseline() waits for these again. */
  baseline: Record<string, number>;
  restart(extra?: Partial<StartOptions>): Promise<void>;
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

/**
 * Starts a whole Zentrale in this process on free loopback ports with a fresh SQLite data dir and the demo
 * tenants. SIP timers are shortened (T1 = 20 ms) so finished transactions leave within about a second and the
 * leak check after each test does not wait 32 s for Timer J.
 */
export async function startTestServer(
  extra: Partial<StartOptions> & { args?: string[]; dataDir?: string } = {},
): Promise<TestServer> {
  const dataDir = extra.dataDir ?? mkdtempSync(join(tmpdir(), 'zentrale-e2e-'));
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  const build = async (more: Partial<StartOptions>): Promise<Server> => {
    const opts = parseServeOptions(
      [
        '--data',
        dataDir,
        '--sip',
        'udp:127.0.0.1:0,tcp:127.0.0.1:0,ws:127.0.0.1:0',
        '--http',
        '127.0.0.1:0',
        '--provision',
        DEMO_YAML,
        '--log-level',
        'info',
        '--rtp-ports',
        process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999',
        ...(extra.args ?? []),
      ],
      {},
    );
    return startServer({
      ...opts,
      logger: createLogger({ level: 'info', destination: sink }),
      sipTimers: { T1: 20, T2: 160, T4: 200 },
      ...more,
    });
  };
  const { args: _a, dataDir: _d, ...startExtra } = extra;
  let server = await build(startExtra);
  const t: TestServer = {
    server,
    dataDir,
    udp: '',
    tcp: '',
    ws: '',
    logs,
    baseline: {},
    restart: async (more = {}) => {
      await server.stop();
      server = await build({ ...startExtra, ...more });
      setup();
    },
    stop: async (o = {}) => {
      await server.stop();
      if (!o.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const setup = () => {
    t.server = server;
    const l = server.sip.transport.listening();
    const at = (p: string) => {
      const e = l.find((x) => x.protocol === p)!;
      return `${e.address}:${e.port}`;
    };
    t.udp = at('udp');
    t.tcp = at('tcp');
    t.ws = at('ws');
    t.baseline = server.counts();
  };
  setup();
  return t;
}

/** Keys that must come back to their baseline value after a test: live transactions, timers, sockets. */
export const LEAK_KEYS = [
  'serverTransactions',
  'clientTransactions',
  'dialogs',
  'pendingInvites',
  'calls',
  'mediaEndpoints',
  'mediaBridges',
  'mediaPlayers',
  'mediaPorts',
  'requestsInFlight',
  'timers',
  'udpSockets',
  'tcpConnections',
  'wsConnections',
  'pendingConnects',
  'apiStreams',
  'webrtcLegs',
];

/** Waits (bounded) until nothing is left behind; throws with the difference otherwise. */
export async function assertBaseline(t: TestServer, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let now = t.server.counts();
  for (;;) {
    const diff = LEAK_KEYS.filter((k) => now[k] !== t.baseline[k]);
    if (diff.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `resources left behind: ${diff.map((k) => `${k}=${now[k]} (baseline ${t.baseline[k]})`).join(', ')}`,
      );
    }
    await sleep(100);
    now = t.server.counts();
  }
}
