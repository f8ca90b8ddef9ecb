// How many voicemail recordings one core holds at once with no lost packets.
//
//   npm run bench:voicemail                      steps of 50, 100, 200, 400, 800 recordings, 5 s each
//   npm run bench:voicemail -- --max 400 --seconds 3
//   ZENTRALE_TEST_RTP_PORTS=42000-43999 npm run bench:voicemail   (the range bounds the largest step)
//
// The core under test is this process's main thread: a real media engine on 127.0.0.1 with N endpoints, each
// with a recorder (the voicemail path: every packet's payload copied, decoded at stop, the WAV written to a temp
// folder as the feature does). A worker thread plays N callers: one 20 ms PCMU packet per stream every 20 ms
// (50 packets/s each, like a phone), paced from the start time. After each step the recordings are checked
// against what was sent: packets taken, sequence gaps (lost), and the recorded length. A step counts as held
// when no packet was lost. Event-loop delay (p99) of the main thread is shown alongside.
// Loopback only; bounded by --max (at most 1000) and a watchdog; every socket, file and the engine are closed.
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { SystemClock } from '../src/util/clock.js';
import { writeWav } from '../src/media/audio/wav.js';
import { createMediaEngine, type MediaEndpoint, type MediaRecorder } from '../src/media/index.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const MAX = Math.min(1000, arg('--max', 800));
const SECONDS = Math.min(30, arg('--seconds', 5));
// RTP ports of the engine: ZENTRALE_TEST_RTP_PORTS (as the tests) or 42000-43999; a step needs two per recording.
const [PORT_MIN, PORT_MAX] = (process.env.ZENTRALE_TEST_RTP_PORTS ?? '42000-43999')
  .split('-')
  .map(Number) as [number, number];
const PAIRS = Math.floor((PORT_MAX - PORT_MIN - 1) / 2);
const STEPS = [50, 100, 200, 400, 800, 1000].filter((n) => n <= MAX && n <= PAIRS);

const watchdog = setTimeout(
  () => {
    console.error('watchdog: bench took too long');
    process.exit(2);
  },
  (STEPS.length * (SECONDS + 10) + 30) * 1000,
);

// The callers: plain JS in a worker so their sending does not run on the core under test.
const SENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
const { ports, seconds } = workerData;
const s = dgram.createSocket('udp4');
s.bind(0, '127.0.0.1', () => {
  const start = Date.now();
  const frames = Math.round(seconds * 50);
  let sent = 0;
  const pkt = (i, n) => {
    const b = Buffer.alloc(172);
    b[0] = 0x80; b[1] = 0;
    b.writeUInt16BE(n & 0xffff, 2); b.writeUInt32BE((n * 160) >>> 0, 4); b.writeUInt32BE(1000 + i, 8);
    for (let k = 12; k < 172; k++) b[k] = (k * 7 + n) & 0x7f; // audible, non-silent code words
    return b;
  };
  const tick = () => {
    const due = Math.min(frames, Math.floor((Date.now() - start) / 20) + 1);
    while (sent < due) {
      for (let i = 0; i < ports.length; i++) s.send(pkt(i, sent), ports[i], '127.0.0.1');
      sent++;
    }
    if (sent < frames) setTimeout(tick, Math.max(0, start + sent * 20 - Date.now()));
    else setTimeout(() => { s.close(); parentPort.postMessage({ sent }); }, 50);
  };
  tick();
});
`;

async function step(n: number, dir: string): Promise<{ n: number; ok: boolean; line: string }> {
  const engine = createMediaEngine({
    clock: new SystemClock(),
    address: '127.0.0.1',
    portMin: PORT_MIN,
    portMax: PORT_MAX,
    inactivityTimeoutMs: 0,
  });
  const eps: MediaEndpoint[] = [];
  const recs: MediaRecorder[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const ep = await engine.allocate(`vm${i}`);
      ep.setCodec({ payloadType: 0, encoding: 'PCMU' });
      eps.push(ep);
      recs.push(engine.record(ep, { maxMs: (SECONDS + 5) * 1000 }));
    }
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const worker = new Worker(SENDER, {
      eval: true,
      workerData: { ports: eps.map((e) => e.local.rtpPort), seconds: SECONDS },
    });
    const { sent } = await new Promise<{ sent: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    await new Promise((r) => setTimeout(r, 100));
    lag.disable();
    let taken = 0;
    let lost = 0;
    let short = 0;
    const t0 = performance.now();
    for (const [i, r] of recs.entries()) {
      const got = r.stop();
      taken += got.packets;
      lost += got.lost + (sent - got.packets - got.lost);
      if (got.samples.length !== sent * 160) short++;
      if (i < 20) await writeFile(join(dir, `m${i}.wav`), writeWav(got)); // the feature's write, off the packet path
    }
    const stopMs = (performance.now() - t0) / n;
    const ok = lost === 0 && short === 0;
    const line =
      `${String(n).padStart(5)} recordings  ${String(sent * n).padStart(7)} sent  ${String(taken).padStart(7)} taken` +
      `  ${String(lost).padStart(5)} lost  loop p99 ${(lag.percentile(99) / 1e6).toFixed(1).padStart(5)} ms` +
      `  stop+decode ${stopMs.toFixed(2)} ms each  ${ok ? 'held' : 'LOSS'}`;
    return { n, ok, line };
  } finally {
    for (const ep of eps) ep.close();
    await engine.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bench-vm-'));
try {
  console.log(`voicemail recordings on one core: ${SECONDS} s per step, PCMU 20 ms, loopback`);
  let best = 0;
  for (const n of STEPS) {
    const r = await step(n, dir);
    console.log(r.line);
    if (!r.ok) break;
    best = n;
  }
  console.log(`held with no lost packet: ${best} simultaneous recordings`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  clearTimeout(watchdog);
}
