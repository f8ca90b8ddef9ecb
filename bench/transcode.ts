// Cost of transcoding in the media relay next to plain relaying, in one run.
//
//   npm run bench:transcode                  20 000 packets per scenario through the relay
//   npm run bench:transcode -- --packets 5000
//
// Two measurements per scenario (PCMU→PCMU plain relay, PCMU→PCMA table translation, PCMU↔G.722 transcoding):
// 1. Codec only: Transcoder.transcodeInPlace on a 20 ms payload (160 octets), CPU µs per packet.
// 2. Through the relay: a real media engine on 127.0.0.1 bridges two endpoints whose negotiated codecs are the
//    scenario's; this process sends 20 ms RTP packets of a tone in bursts of 100 to leg A and waits for each
//    burst at the phone behind leg B. process.cpuUsage() over the whole scenario divided by packets gives CPU µs
//    per relayed packet; it includes this process's own sending and receiving, which is the same in every
//    scenario, so the difference between rows is what the codec work costs. A call is 100 packets/s (50 each
//    way), hence calls per core = 1e6 / (µs per packet × 100).
// Loopback only, bounded by the packet count and a 60 s watchdog; every socket and the engine are closed on exit.
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { SystemClock } from '../src/util/clock.js';
import { tone } from '../src/media/audio/tone.js';
import { encodeG711 } from '../src/media/codec/g711.js';
import { createTranscoder } from '../src/media/codec/transcoder.js';
import { createMediaEngine, type MediaCodec } from '../src/media/index.js';
import { buildRtpPacket } from '../src/media/rtp/rtp-header.js';

const args = process.argv.slice(2);
const packetsArg = args.indexOf('--packets');
const PACKETS = Math.min(
  200_000,
  Math.max(1000, Number(packetsArg >= 0 ? args[packetsArg + 1] : 20_000) || 20_000),
);
const BURST = 100;

const watchdog = setTimeout(() => {
  console.error('watchdog: bench took longer than 60 s');
  process.exit(2);
}, 60_000);

interface Scenario {
  name: string;
  a: MediaCodec;
  b: MediaCodec;
}
const scenarios: Scenario[] = [
  {
    name: 'PCMU → PCMU (plain relay)',
    a: { payloadType: 0, encoding: 'PCMU' },
    b: { payloadType: 0, encoding: 'PCMU' },
  },
  {
    name: 'PCMU → PCMA (table)',
    a: { payloadType: 0, encoding: 'PCMU' },
    b: { payloadType: 8, encoding: 'PCMA' },
  },
  {
    name: 'PCMU → G.722 (transcode)',
    a: { payloadType: 0, encoding: 'PCMU' },
    b: { payloadType: 9, encoding: 'G722' },
  },
  {
    name: 'G.722 → PCMU (transcode)',
    a: { payloadType: 9, encoding: 'G722' },
    b: { payloadType: 0, encoding: 'PCMU' },
  },
];

const payloads = encodeG711('PCMU', tone({ frequencies: 1000, durationMs: 1000 }).samples);

function codecOnly(from: string, to: string): number {
  const t = createTranscoder(from, to);
  if (!t) return 0;
  const buf = Uint8Array.from(payloads);
  const n = 20_000;
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const off = (i % 50) * 160;
    t.transcodeInPlace(buf, off, off + 160);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

function bindSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s)));
}

async function relayRun(sc: Scenario, portMin: number): Promise<{ usPerPacket: number; received: number }> {
  const engine = createMediaEngine({
    clock: new SystemClock(),
    address: '127.0.0.1',
    portMin,
    portMax: portMin + 3,
  });
  const [a, b] = await Promise.all([engine.allocate('a'), engine.allocate('b')]);
  const [phoneA, phoneB] = await Promise.all([bindSocket(), bindSocket()]);
  try {
    a.setRemote({ address: '127.0.0.1', port: phoneA.address().port });
    b.setRemote({ address: '127.0.0.1', port: phoneB.address().port });
    a.setCodec(sc.a);
    b.setCodec(sc.b);
    engine.bridge(a, b);
    let received = 0;
    let wake: (() => void) | undefined;
    phoneB.on('message', () => {
      received++;
      wake?.();
    });
    const packets = Array.from({ length: 50 }, (_, i) =>
      buildRtpPacket(
        { marker: false, payloadType: sc.a.payloadType, sequenceNumber: i, timestamp: i * 160, ssrc: 7 },
        payloads.subarray(i * 160, i * 160 + 160),
      ),
    );
    const start = process.cpuUsage();
    for (let sent = 0; sent < PACKETS; sent += BURST) {
      for (let i = 0; i < BURST; i++) phoneA.send(packets[(sent + i) % 50]!, a.local.rtpPort, '127.0.0.1');
      const target = sent + BURST;
      const deadline = Date.now() + 2000;
      while (received < target && Date.now() < deadline) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 20);
        });
      }
      if (received < target) break; // loss: stop this scenario, reported below
    }
    const used = process.cpuUsage(start);
    return { usPerPacket: (used.user + used.system) / Math.max(1, received), received };
  } finally {
    phoneA.close();
    phoneB.close();
    await engine.close();
  }
}

const rows: string[] = [];
let port = 2 * randomInt(15_500, 16_000);
// Warm-up so the JIT has compiled the hot paths before anything is measured.
await relayRun(scenarios[2]!, port);
codecOnly('PCMU', 'G722');
for (const sc of scenarios) {
  port += 4;
  const codec = codecOnly(sc.a.encoding, sc.b.encoding);
  const r = await relayRun(sc, port);
  const calls = 1e6 / (r.usPerPacket * 100);
  rows.push(
    `| ${sc.name.padEnd(26)} | ${codec.toFixed(2).padStart(8)} | ${r.usPerPacket.toFixed(2).padStart(9)} | ${String(r.received).padStart(8)}/${PACKETS} | ${Math.round(calls).toString().padStart(7)} |`,
  );
}
console.log(`node ${process.version}, ${PACKETS} packets of 20 ms per scenario, loopback`);
console.log('| scenario                   | codec µs | relay µs/pkt | received       | calls/core |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
clearTimeout(watchdog);
