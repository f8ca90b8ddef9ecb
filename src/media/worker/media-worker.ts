import { parentPort, workerData } from 'node:worker_threads';
import { SystemClock } from '../../util/clock.js';
import type { MediaBridge, MediaPlayer } from '../media-engine.js';
import { MediaError } from '../media-engine.js';
import type { SrtpKeyMaterial } from '../srtp/srtp-context.js';
import { UdpMediaEndpoint } from '../udp-media-endpoint.js';
import { UdpMediaEngine } from '../udp-media-engine.js';
import type { FromWorker, StatsRow, ToWorker, WorkerInit } from './worker-protocol.js';

/**
 * One media worker thread: its own UdpMediaEngine on its share of the RTP port range, so the sockets of the legs
 * it holds, their packet path (latching, SRTP, codec translation, DTMF detection) and the players into them run
 * here, off the main thread. It answers the main thread's commands (worker-protocol.ts) in order.
 */

/** Sources kept for later plays (music on hold and prompts repeat); the oldest goes first beyond this. */
const MAX_SOURCES = 64;

const port = parentPort!;
const init = workerData as WorkerInit;
const clock = new SystemClock();
const post = (m: FromWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);
const engine = new UdpMediaEngine({
  clock,
  address: init.address,
  advertisedAddress: init.advertisedAddress,
  portMin: init.portMin,
  portMax: init.portMax,
  inactivityTimeoutMs: init.inactivityTimeoutMs,
  relatchAfterMs: init.relatchAfterMs,
  log: (level, msg, fields) => post({ t: 'log', level, msg, fields }),
});
const endpoints = new Map<number, UdpMediaEndpoint>();
const bridges = new Map<number, MediaBridge>();
const players = new Map<number, MediaPlayer>();
const recorders = new Map<number, { ep: UdpMediaEndpoint; tap: Tap }>();
const sources = new Map<number, Int16Array>();
/** What was last pushed per endpoint, so only endpoints whose counters moved are sent again. */
const pushed = new Map<number, string>();

/** Hands each recorded packet to the recorder on the main thread (a copy: dgram reuses nothing, but we may). */
class Tap {
  readonly #id: number;
  #stopped = false;
  constructor(id: number) {
    this.#id = id;
  }
  push(packet: Uint8Array, off: number, end: number): void {
    if (this.#stopped) return;
    const copy = new Uint8Array(end);
    copy.set(packet.subarray(0, end));
    post({ t: 'recorded', recorder: this.#id, packet: copy, off, end }, [copy.buffer]);
  }
  stop(): void {
    this.#stopped = true;
  }
}

function keys(k: SrtpKeyMaterial): SrtpKeyMaterial {
  // Structured cloning turns Buffers into Uint8Arrays.
  return { suite: k.suite, masterKey: Buffer.from(k.masterKey), masterSalt: Buffer.from(k.masterSalt) };
}

async function allocate(id: number, label: string): Promise<void> {
  try {
    const ep = await engine.allocate(label);
    if (!(ep instanceof UdpMediaEndpoint)) throw new Error('unexpected endpoint type');
    endpoints.set(id, ep);
    post({ t: 'allocated', ep: id, local: { ...ep.local } });
  } catch (err) {
    const code = err instanceof MediaError ? err.code : 'PORTS_EXHAUSTED';
    post({ t: 'allocateFailed', ep: id, code, message: (err as Error).message });
  }
}

function pushStats(): void {
  const rows: StatsRow[] = [];
  for (const [id, ep] of endpoints) {
    const s = ep.stats();
    const to = ep.sendingTo;
    const row: StatsRow = [
      id,
      s.packetsIn,
      s.packetsOut,
      s.bytesIn,
      s.lastPacketAt ?? -1,
      s.packetsDropped,
      s.packetsNotForwarded ?? 0,
      ep.latched,
      to?.address,
      to?.port ?? 0,
    ];
    const key = row.join(',');
    if (pushed.get(id) === key) continue;
    pushed.set(id, key);
    rows.push(row);
  }
  if (rows.length > 0) post({ t: 'stats', rows });
}

const statsTimer = setInterval(pushStats, init.statsIntervalMs);

function closeEndpoint(id: number): void {
  const ep = endpoints.get(id);
  if (!ep) return;
  endpoints.delete(id);
  pushed.delete(id);
  ep.close();
}

function handle(m: ToWorker): void {
  switch (m.op) {
    case 'allocate':
      void allocate(m.ep, m.label);
      return;
    case 'remote':
      endpoints.get(m.ep)?.setRemote(m.rtp, m.rtcp);
      return;
    case 'codec':
      endpoints.get(m.ep)?.setCodec(m.codec);
      return;
    case 'srtp':
      endpoints
        .get(m.ep)
        ?.setSrtp(
          m.keys === undefined ? undefined : { local: keys(m.keys.local), remote: keys(m.keys.remote) },
        );
      return;
    case 'inactivity':
      endpoints.get(m.ep)?.setInactivityTimeout(m.ms);
      return;
    case 'listenDtmf':
      endpoints.get(m.ep)?.onDtmf((digit, ms) => post({ t: 'dtmf', ep: m.ep, digit, ms }));
      return;
    case 'listenInactive':
      endpoints.get(m.ep)?.onInactive(() => {
        pushStats(); // the counters as they stood when the leg fell silent
        post({ t: 'inactive', ep: m.ep });
      });
      return;
    case 'closeEndpoint':
      closeEndpoint(m.ep);
      return;
    case 'bridge': {
      const a = endpoints.get(m.a);
      const b = endpoints.get(m.b);
      if (a && b && !a.closed && !b.closed) bridges.set(m.bridge, engine.bridge(a, b));
      return;
    }
    case 'unbridge':
      bridges.get(m.bridge)?.close();
      bridges.delete(m.bridge);
      return;
    case 'play': {
      if (m.samples) {
        sources.set(m.source, m.samples);
        if (sources.size > MAX_SOURCES) sources.delete(sources.keys().next().value!);
      }
      const ep = endpoints.get(m.ep);
      const samples = sources.get(m.source);
      if (!ep || ep.closed || !samples) {
        post({ t: 'playerEnded', player: m.player });
        return;
      }
      const p = engine.play(ep, { samples }, { loop: m.loop });
      players.set(m.player, p);
      p.onEnded(() => {
        players.delete(m.player);
        post({ t: 'playerEnded', player: m.player });
      });
      return;
    }
    case 'stopPlayer':
      players.get(m.player)?.stop();
      players.delete(m.player);
      return;
    case 'record': {
      const ep = endpoints.get(m.ep);
      if (!ep || ep.closed) return;
      const tap = new Tap(m.recorder);
      ep.attachRecorder(tap)?.stop();
      recorders.set(m.recorder, { ep, tap });
      return;
    }
    case 'stopRecord': {
      const r = recorders.get(m.recorder);
      if (!r) return;
      recorders.delete(m.recorder);
      r.tap.stop();
      if (r.ep.recorder === r.tap) r.ep.attachRecorder(undefined);
      return;
    }
    case 'sendDtmf': {
      const ep = endpoints.get(m.ep);
      let done: Promise<void> = Promise.resolve();
      try {
        if (ep && !ep.closed) done = engine.sendDtmf(ep, m.digits);
      } catch {
        // The main thread checked the leg's telephone-event before asking; a race with close ends here.
      }
      void done.then(() => post({ t: 'dtmfSent', req: m.req }));
      return;
    }
    case 'close':
      clearInterval(statsTimer);
      void engine.close().then(() => {
        endpoints.clear();
        post({ t: 'closed' });
        port.close();
      });
      return;
  }
}

port.on('message', handle);
post({ t: 'ready' });
