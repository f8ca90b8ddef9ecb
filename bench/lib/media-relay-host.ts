// Zentrale's relay alone, in its own process, for bench/media.ts: the server's MediaEngine (createMediaEngine, the
// same worker split as `zentrale serve --media-workers N`) driven over the fork IPC channel, so its CPU is this
// process's and the SIP layer is not in the measurement. Per call: two legs (`call<i>:a`, `call<i>:b`, pinned to
// one worker), each with PCMU negotiated and its remote set to the load generator's socket, bridged.
//   -> { op: 'setup', calls: [[remoteA, remoteB], ...] }   <- { t: 'ports', ports: [[legA, legB], ...] }
//   -> { op: 'teardown' }                                   <- { t: 'done', counts }
import { SystemClock } from '../../src/util/clock.js';
import { createMediaEngine, type MediaEndpoint } from '../../src/media/index.js';

type Command = { op: 'setup'; calls: Array<[number, number]> } | { op: 'teardown' };

const [portMin, portMax] = (process.env.ZENTRALE_TEST_RTP_PORTS ?? '40000-59999').split('-').map(Number);
const workers = Number(process.env.BENCH_MEDIA_WORKERS ?? '0');
const engine = createMediaEngine({
  clock: new SystemClock(),
  address: '127.0.0.1',
  portMin: portMin!,
  portMax: portMax!,
  inactivityTimeoutMs: 0,
  workers,
});
const legs: MediaEndpoint[] = [];
const send = (m: unknown): void => void process.send!(m);

process.on('message', (m: Command) => {
  void (async () => {
    if (m.op === 'setup') {
      const ports: Array<[number, number]> = [];
      const base = legs.length / 2;
      for (let i = 0; i < m.calls.length; i++) {
        const [ra, rb] = m.calls[i]!;
        const a = await engine.allocate(`call${base + i}:a`);
        const b = await engine.allocate(`call${base + i}:b`);
        for (const [ep, port] of [
          [a, ra],
          [b, rb],
        ] as const) {
          ep.setRemote({ address: '127.0.0.1', port }, { address: '127.0.0.1', port: port + 1 });
          ep.setCodec({ payloadType: 0, encoding: 'PCMU' });
        }
        engine.bridge(a, b);
        legs.push(a, b);
        ports.push([a.local.rtpPort, b.local.rtpPort]);
      }
      send({ t: 'ports', ports });
    } else {
      for (const l of legs.splice(0)) l.close();
      send({ t: 'done', counts: engine.counts() });
    }
  })().catch((err: Error) => send({ t: 'error', message: err.message }));
});
process.on('disconnect', () => void engine.close().then(() => process.exit(0)));
send({ t: 'ready', workers });
