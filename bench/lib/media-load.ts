// The RTP load of bench/media.ts, one worker thread per share of the calls. Each worker has two sockets: A (every
// caller of its calls) and B (every callee). Per call it sends 50 PCMU packets/s from A to the relay's caller-side
// port and 50/s from B to the callee-side port (two independent streams, told apart by SSRC); what the relay
// forwards arrives at the other socket. Streams are spread evenly over the 20 ms frame (10 slots of 2 ms) so the
// load is smooth. Per stream: packets sent and received in the measured epoch; per packet: its delay beyond the
// stream's quickest (a histogram in 0.1 ms steps), which is what a jitter buffer has to absorb. Bounded: at most
// 5 frames of catch-up after a stall (the rest is skipped and counted), and the thread stops on 'stop'.
import { createSocket, type Socket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { literalLookup } from '../../src/media/net/address.js';

export interface LoadCall {
  /** The relay's port for the caller's stream (A sends there) and for the callee's (B sends there). */
  toA: number;
  toB: number;
}
export type LoadCommand = { op: 'calls'; calls: LoadCall[] } | { op: 'measure' } | { op: 'stop' };
export interface LoadReport {
  sent: number;
  received: number;
  /** Streams that lost at least one packet of the epoch, and streams that received none. */
  lossyStreams: number;
  silentStreams: number;
  /** Added delay histogram, 0.1 ms bins (the last bin holds everything beyond). */
  hist: number[];
  /** Packets the generator did not send in time (its own stalls): not loss, printed beside it. */
  skipped: number;
  /** RFC 3550 section 6.4.1 interarrival jitter, the largest of any stream at the end, ms. */
  maxRfcJitter: number;
}
export type LoadMessage = { t: 'ports'; a: number; b: number } | { t: 'report'; report: LoadReport };

const FRAME_MS = 20;
const SLOTS = 10;
const PAYLOAD = 160;
const BINS = 10_000;
const MAX_CATCH_UP = 5;

interface Stream {
  ring: Buffer[];
  to: number;
  from: Socket;
  seq: number;
  sent: number;
  received: number;
  minTransit: number;
  lastTransit: number;
  jitter: number;
}

const now = (): number => performance.timeOrigin + performance.now();

async function bound(): Promise<Socket> {
  // literalLookup: the packet leaves inside send() (no dns.lookup tick per packet), as in the relay.
  const s = createSocket({ type: 'udp4', lookup: literalLookup });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  // 2000 streams in bursts of a slot: room for a few ms of them in the kernel.
  s.setRecvBufferSize(4 << 20);
  s.setSendBufferSize(4 << 20);
  return s;
}

async function main(): Promise<void> {
  const port = parentPort!;
  const ssrcBase = (workerData as { ssrcBase: number }).ssrcBase;
  const a = await bound();
  const b = await bound();
  // Indexed by SSRC - ssrcBase: the receive path finds its stream without hashing.
  const streams: Stream[] = [];
  const slots: Stream[][] = Array.from({ length: SLOTS }, () => []);
  let epoch = 0;
  let skipped = 0;
  const hist = new Uint32Array(BINS);
  let timer: NodeJS.Timeout | undefined;
  let t0 = 0;
  let slotsDone = 0;

  const onPacket = (msg: Buffer): void => {
    if (msg.length < 24) return;
    const st = streams[msg.readUInt32BE(8) - ssrcBase];
    if (!st || msg[20] !== epoch) return;
    st.received++;
    const transit = now() - msg.readDoubleBE(12);
    if (transit < st.minTransit) st.minTransit = transit;
    // RFC 3550 6.4.1 (in ms rather than timestamp units).
    if (st.lastTransit >= 0) st.jitter += (Math.abs(transit - st.lastTransit) - st.jitter) / 16;
    st.lastTransit = transit;
    const added = transit - st.minTransit;
    hist[Math.min(BINS - 1, Math.floor(added * 10))]!++;
  };
  a.on('message', onPacket);
  b.on('message', onPacket);

  const send = (st: Stream): void => {
    const p = st.ring[st.seq & 3]!;
    p.writeUInt16BE(st.seq & 0xffff, 2);
    p.writeUInt32BE((st.seq * PAYLOAD) >>> 0, 4);
    p.writeDoubleBE(now(), 12);
    p[20] = epoch;
    st.seq++;
    st.sent++;
    st.from.send(p, st.to, '127.0.0.1');
  };

  const tick = (): void => {
    const due = Math.floor((performance.now() - t0) / (FRAME_MS / SLOTS)) + 1;
    if (due - slotsDone > MAX_CATCH_UP * SLOTS) {
      const skip = due - slotsDone - SLOTS;
      for (let k = 0; k < skip; k++) skipped += slots[(slotsDone + k) % SLOTS]!.length;
      slotsDone += skip;
    }
    for (; slotsDone < due; slotsDone++) for (const st of slots[slotsDone % SLOTS]!) send(st);
  };

  const stream = (ssrc: number, to: number, from: Socket): Stream => {
    const ring = Array.from({ length: 4 }, () => {
      const p = Buffer.alloc(12 + PAYLOAD, 0xff);
      p[0] = 0x80;
      p[1] = 0;
      p.writeUInt32BE(ssrc, 8);
      return p;
    });
    const st: Stream = {
      ring,
      to,
      from,
      seq: 0,
      sent: 0,
      received: 0,
      minTransit: Infinity,
      lastTransit: -1,
      jitter: 0,
    };
    streams[ssrc - ssrcBase] = st;
    slots[streams.length % SLOTS]!.push(st);
    return st;
  };

  port.on('message', (m: LoadCommand) => {
    if (m.op === 'calls') {
      let ssrc = ssrcBase;
      for (const c of m.calls) {
        stream(ssrc++, c.toA, a);
        stream(ssrc++, c.toB, b);
      }
      t0 = performance.now();
      slotsDone = 0;
      timer = setInterval(tick, 2);
    } else if (m.op === 'measure') {
      epoch = (epoch + 1) & 0xff;
      skipped = 0;
      hist.fill(0);
      for (const st of streams) {
        st.sent = 0;
        st.received = 0;
        st.lastTransit = -1;
        st.jitter = 0;
      }
    } else {
      clearInterval(timer);
      // The last packets in flight get 500 ms.
      setTimeout(() => {
        const r: LoadReport = {
          sent: 0,
          received: 0,
          lossyStreams: 0,
          silentStreams: 0,
          hist: [...hist],
          skipped,
          maxRfcJitter: 0,
        };
        for (const st of streams) {
          r.sent += st.sent;
          r.received += Math.min(st.received, st.sent);
          if (st.received < st.sent) r.lossyStreams++;
          if (st.received === 0) r.silentStreams++;
          r.maxRfcJitter = Math.max(r.maxRfcJitter, st.jitter);
        }
        port.postMessage({ t: 'report', report: r } satisfies LoadMessage);
        a.close();
        b.close();
        port.close();
      }, 500);
    }
  });
  port.postMessage({ t: 'ports', a: a.address().port, b: b.address().port } satisfies LoadMessage);
}

if (parentPort) void main();
