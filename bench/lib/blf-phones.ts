// The phones of bench:blf in a worker thread: plain UDP sockets that SUBSCRIBE and answer every NOTIFY with 200.
// In their own thread (and heap), so the server's thread, its CPU time and its heap hold only the server's work.
import { Worker } from 'node:worker_threads';

const WORKER = `
const { parentPort } = require('node:worker_threads');
const { createSocket } = require('node:dgram');
const { randomBytes } = require('node:crypto');
const socks = [];
const pending = new Map();
// Call-ID -> CSeq of the last NOTIFY counted: a retransmission (our 200 lost) is answered, not counted.
const seen = new Map();
let notifies = 0, retransmitted = 0, waitFor = -1;
function hex(n) { return randomBytes(n).toString('hex'); }
function onMessage(s, m, from) {
  // Header lines only, split by hand: the phones should cost the shared CPU as little as possible.
  const text = m.toString('latin1');
  const lines = text.slice(0, text.indexOf('\\r\\n\\r\\n')).split('\\r\\n');
  const get = (name) => lines.filter((l) => l.toLowerCase().startsWith(name + ':'));
  const value = (l) => (l === undefined ? '' : l.slice(l.indexOf(':') + 1).trim());
  const callId = value(get('call-id')[0]);
  if (lines[0].startsWith('SIP/2.0 ')) {
    if (Number(lines[0].slice(8, 11)) >= 200 && pending.has(callId)) {
      pending.get(callId)();
      pending.delete(callId);
    }
    return;
  }
  if (!lines[0].startsWith('NOTIFY ')) return;
  const cseqLine = value(get('cseq')[0]);
  s.send('SIP/2.0 200 OK\\r\\n' + get('via').join('\\r\\n') + '\\r\\n' + get('from')[0] + '\\r\\n' + get('to')[0] +
    '\\r\\nCall-ID: ' + callId + '\\r\\nCSeq: ' + cseqLine + '\\r\\nContent-Length: 0\\r\\n\\r\\n', from.port, from.address);
  const cseq = Number(cseqLine.split(' ')[0]);
  if ((seen.get(callId) ?? -1) >= cseq) { retransmitted++; return; }
  seen.set(callId, cseq);
  notifies++;
  if (waitFor >= 0 && notifies >= waitFor) { waitFor = -1; parentPort.postMessage({ reached: notifies }); }
}
function subscribe(i, server, domain, ext) {
  const s = socks[i % socks.length];
  const callId = hex(8);
  const port = s.address().port;
  const text = 'SUBSCRIBE sip:' + ext + '@' + domain + ' SIP/2.0\\r\\n' +
    'Via: SIP/2.0/UDP 127.0.0.1:' + port + ';branch=z9hG4bK' + hex(6) + ';rport\\r\\n' +
    'From: <sip:watcher@' + domain + '>;tag=' + hex(4) + '\\r\\n' +
    'To: <sip:' + ext + '@' + domain + '>\\r\\nCall-ID: ' + callId + '\\r\\nCSeq: 1 SUBSCRIBE\\r\\n' +
    'Contact: <sip:watcher@127.0.0.1:' + port + '>\\r\\nMax-Forwards: 70\\r\\nEvent: dialog\\r\\nExpires: 3600\\r\\n' +
    'Content-Length: 0\\r\\n\\r\\n';
  // Like a phone over UDP: the same request again every 500 ms until answered (RFC 3261 17.1.2.2, bounded).
  return new Promise((resolve, reject) => {
    const resend = setInterval(() => s.send(text, server.port, server.address), 500);
    const timer = setTimeout(() => { clearInterval(resend); reject(new Error('no 200 for SUBSCRIBE ' + callId)); }, 20000);
    pending.set(callId, () => { clearTimeout(timer); clearInterval(resend); resolve(); });
    s.send(text, server.port, server.address);
  });
}
parentPort.on('message', async (m) => {
  try {
    if (m.cmd === 'open') {
      for (let i = 0; i < m.n; i++) {
        const s = createSocket('udp4');
        s.on('message', (msg, from) => onMessage(s, msg, from));
        await new Promise((r) => s.bind(0, '127.0.0.1', r));
        try { s.setRecvBufferSize(8 * 1024 * 1024); } catch {}
        socks.push(s);
      }
      parentPort.postMessage({ opened: socks.length });
    } else if (m.cmd === 'subscribe') {
      for (let i = 0; i < m.exts.length; i += 50) {
        const batch = [];
        for (let j = i; j < Math.min(m.exts.length, i + 50); j++) batch.push(subscribe(j, m.server, m.domain, m.exts[j]));
        await Promise.all(batch);
      }
      parentPort.postMessage({ subscribed: m.exts.length });
    } else if (m.cmd === 'until') {
      if (notifies >= m.n) parentPort.postMessage({ reached: notifies });
      else waitFor = m.n;
    } else if (m.cmd === 'counts') {
      parentPort.postMessage({ notifies, retransmitted });
    } else if (m.cmd === 'close') {
      await Promise.all(socks.map((s) => new Promise((r) => s.close(r))));
      parentPort.postMessage({ closed: true });
    }
  } catch (err) {
    parentPort.postMessage({ error: String(err) });
  }
});
`;

type Reply = Record<string, unknown>;

/** The phones, driven from the bench's thread. Every wait is bounded by `waitMs`. */
export class Phones {
  readonly #worker = new Worker(WORKER, { eval: true });
  readonly #waitMs: number;
  #next: ((r: Reply) => void) | undefined;

  constructor(waitMs: number) {
    this.#waitMs = waitMs;
    this.#worker.on('message', (r: Reply) => {
      const next = this.#next;
      this.#next = undefined;
      next?.(r);
    });
  }

  #ask(msg: Reply, what: string, waitMs = this.#waitMs): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`phones: no answer to ${what} within ${waitMs} ms`)),
        waitMs,
      );
      this.#next = (r) => {
        clearTimeout(timer);
        if (typeof r.error === 'string') reject(new Error(`phones: ${r.error}`));
        else resolve(r);
      };
      this.#worker.postMessage(msg);
    });
  }

  async open(n: number): Promise<void> {
    await this.#ask({ cmd: 'open', n }, 'open');
  }

  /** One SUBSCRIBE per entry of `exts` (50 in flight); resolves when every one got its 200. */
  async subscribe(server: { address: string; port: number }, domain: string, exts: string[]): Promise<void> {
    // Bounded, but by the number of subscriptions too: 10,000 SUBSCRIBEs take a while on a busy machine.
    await this.#ask({ cmd: 'subscribe', server, domain, exts }, 'subscribe', this.#waitMs + exts.length * 20);
  }

  /** Resolves once `n` NOTIFYs in all have arrived (first copies; retransmissions not counted). */
  async until(n: number): Promise<void> {
    await this.#ask({ cmd: 'until', n }, `until ${n}`);
  }

  async counts(): Promise<{ notifies: number; retransmitted: number }> {
    const r = await this.#ask({ cmd: 'counts' }, 'counts');
    return { notifies: Number(r.notifies), retransmitted: Number(r.retransmitted) };
  }

  async close(): Promise<void> {
    try {
      await this.#ask({ cmd: 'close' }, 'close');
    } finally {
      await this.#worker.terminate();
    }
  }
}
