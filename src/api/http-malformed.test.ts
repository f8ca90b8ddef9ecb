import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startHttpServer } from './http-server.js';

/**
 * Malformed HTTP at the wire, below what `inject` can send: each is answered 4xx (or the connection is closed
 * for a request that cannot be framed), no answer carries a stack trace, and the server goes on serving.
 */
type Server = Awaited<ReturnType<typeof startHttpServer>>;

/** Writes `chunks` (with `gapMs` between them) and returns everything the server sent until it closed. */
function raw(port: number, chunks: Array<string | Buffer>, gapMs = 0, maxMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    const done = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, maxMs);
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    sock.on('close', done);
    sock.on('error', done);
    sock.on('connect', async () => {
      for (const c of chunks) {
        if (sock.destroyed) return;
        sock.write(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

const CASES: Array<{ name: string; chunks: Array<string | Buffer>; gapMs?: number; status: RegExp }> = [
  {
    name: 'huge header (64 KB)',
    chunks: [`GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: ${'a'.repeat(65_536)}\r\n\r\n`],
    status: /^431$/,
  },
  {
    name: 'huge URL',
    chunks: [`GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
    status: /^(414|431)$/,
  },
  { name: 'garbage request line', chunks: ['\u0000\u0001NOT HTTP AT ALL\r\n\r\n'], status: /^400$/ },
  {
    name: 'bad Content-Length',
    chunks: ['POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: abc\r\n\r\n'],
    status: /^400$/,
  },
  {
    name: 'two different Content-Lengths',
    chunks: [
      'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
    ],
    status: /^400$/,
  },
  {
    name: 'broken chunked encoding',
    chunks: [
      'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    ],
    status: /^400$/,
  },
  {
    name: 'body larger than the limit (announced)',
    chunks: [
      'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{',
    ],
    status: /^413$/,
  },
  {
    name: 'bad JSON',
    chunks: [
      'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{"a":,1}',
    ],
    status: /^400$/,
  },
  {
    name: 'wrong content type',
    chunks: [
      'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-unknown\r\nContent-Length: 2\r\n\r\n{}',
    ],
    status: /^415$/,
  },
  {
    name: 'slow body (slowloris): 408 once the request timeout passes',
    chunks: [
      'POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
      '"',
      'a',
    ],
    gapMs: 700,
    status: /^408$/,
  },
];

describe('HTTP: malformed requests at the wire', () => {
  let s: Server;
  before(async () => {
    s = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      requestTimeoutMs: 1000,
      health: { health: async () => ({ sip: true, store: true }), counts: () => ({}) },
      api: {
        register: (app) => void app.post('/echo', async (req) => ({ got: req.body })),
        close: () => undefined,
      },
    });
  });
  after(() => s.close());

  for (const c of CASES) {
    it(c.name, async () => {
      const res = await raw(s.port, c.chunks, c.gapMs ?? 0);
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(res)?.[1] ?? '(none)';
      assert.match(status, c.status, res.slice(0, 300));
      assert.doesNotMatch(res, /\n\s+at [^\n]+:\d+:\d+/, 'no stack trace');
      assert.doesNotMatch(res, /node_modules|\/src\//, 'no paths');
      const ok = await fetch(`http://127.0.0.1:${s.port}/healthz`);
      assert.equal(ok.status, 200, 'still serving');
    });
  }
});
