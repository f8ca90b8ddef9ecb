import { Worker } from 'node:worker_threads';
import {
  canPlayCodec,
  MediaError,
  type AudioSource,
  type MediaBridge,
  type MediaEndpoint,
  type MediaEngine,
  type MediaEngineOptions,
  type MediaLog,
  type MediaPlayer,
  type MediaRecorder,
} from '../media-engine.js';
import { RtpRecorder } from '../media-recorder.js';
import { WorkerEndpoint, type EndpointHost } from './worker-endpoint.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';

/** Sources a worker keeps (its own FIFO in media-worker.ts uses the same bound, so both sides agree). */
const MAX_SOURCES = 64;
const CLOSE_TIMEOUT_MS = 5_000;

interface Pending {
  resolve(local: { address: string; rtpPort: number; rtcpPort: number }): void;
  reject(err: MediaError): void;
}

/** One worker thread and what the main thread tracks of it. */
class Link implements EndpointHost {
  readonly worker: number;
  readonly thread: Worker;
  readonly log: MediaLog;
  readonly endpoints = new Map<number, WorkerEndpoint>();
  readonly pending = new Map<number, Pending>();
  /** Source ids whose samples this worker holds, oldest first. */
  readonly sources = new Set<number>();
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  alive = true;
  readonly #engine: WorkerMediaEngine;

  constructor(engine: WorkerMediaEngine, index: number, init: WorkerInit, log: MediaLog) {
    this.#engine = engine;
    this.worker = index;
    this.log = log;
    this.thread = spawnWorker(init);
    let ready!: () => void;
    this.ready = new Promise((r) => (ready = r));
    this.exited = new Promise((r) => this.thread.once('exit', () => r()));
    this.thread.on('message', (m: FromWorker) => (m.t === 'ready' ? ready() : engine.fromWorker(this, m)));
    this.thread.on('error', (err) =>
      log('error', 'media worker failed', { worker: index, err: err.message }),
    );
    this.thread.once('exit', () => {
      ready();
      this.#died();
    });
  }

  send(m: ToWorker): void {
    if (this.alive) this.thread.postMessage(m);
  }

  closed(ep: WorkerEndpoint): void {
    this.#engine.endpointClosed(this, ep);
  }

  codecChanged(ep: WorkerEndpoint): void {
    this.#engine.codecChanged(ep);
  }

  #died(): void {
    const unexpected = this.alive && !this.#engine.closing;
    this.alive = false;
    for (const p of this.pending.values()) p.reject(new MediaError('ENGINE_CLOSED', 'media worker stopped'));
    this.pending.clear();
    if (!unexpected) return;
    this.log('error', 'media worker exited', { worker: this.worker, endpoints: this.endpoints.size });
    // Its legs carry no media any more: the call layer treats them as silent and ends their calls.
    for (const ep of [...this.endpoints.values()]) ep.fireInactive();
  }
}

/** A bridge between legs in two workers: a pair of internal legs, one per worker, sending to each other. */
interface Trunk {
  near: WorkerEndpoint;
  far: WorkerEndpoint;
}

interface BridgeState {
  id: number;
  x: WorkerEndpoint;
  y: WorkerEndpoint;
  open: boolean;
  trunk: Trunk | undefined;
  handle: MediaBridge;
}

interface PlayerState {
  id: number;
  ep: WorkerEndpoint;
  link: Link;
  ended: Array<() => void>;
}

export interface WorkerMediaEngineOptions extends MediaEngineOptions {
  /** Worker threads; the port range is split among them. */
  workers: number;
  /** How often a worker reports changed counters (stats(), latched, sendingTo). Default 200 ms. */
  statsIntervalMs?: number;
}

/**
 * The in-process relay spread over worker threads (docs/media.md): each worker binds the ports of its share of
 * the range and runs the packet path of the legs it holds. The legs of one call are pinned to one worker by the
 * call's part of their label (`<call>:<leg>`), so a bridge forwards inside one thread; a bridge between legs of
 * two workers (a transfer joins two calls) goes through two internal legs that send to each other on loopback.
 * The interface and its semantics are the single-thread engine's; only stats() and the latch are reported late.
 */
export class WorkerMediaEngine implements MediaEngine {
  readonly #log: MediaLog;
  readonly #links: Link[] = [];
  readonly #loopback: string;
  readonly #endpoints = new Map<WorkerEndpoint, Link>();
  readonly #bridges = new Set<BridgeState>();
  readonly #bridgeOf = new Map<WorkerEndpoint, BridgeState>();
  readonly #players = new Map<number, PlayerState>();
  readonly #playerOf = new Map<WorkerEndpoint, PlayerState>();
  readonly #recorders = new Map<number, RtpRecorder>();
  readonly #recorderOf = new Map<WorkerEndpoint, number>();
  readonly #dtmf = new Map<number, () => void>();
  readonly #sourceIds = new WeakMap<Int16Array, number>();
  /** The internal legs of bridges between workers (their ports count as bound). */
  readonly #internal = new Set<WorkerEndpoint>();
  #nextId = 1;
  #closed = false;
  closing = false;

  constructor(o: WorkerMediaEngineOptions) {
    this.#log = o.log ?? (() => {});
    const first = o.portMin + (o.portMin % 2);
    const last = o.portMax - 1;
    if (!(o.portMin > 0 && o.portMax <= 65535 && first <= last)) {
      throw new MediaError('BAD_RANGE', `media port range ${o.portMin}-${o.portMax} holds no even/odd pair`);
    }
    const pairs = (last - first) / 2 + 1;
    const n = Math.max(1, Math.min(o.workers, pairs));
    const per = Math.floor(pairs / n);
    for (let i = 0; i < n; i++) {
      const lo = first + i * per * 2;
      const hi = i === n - 1 ? last + 1 : lo + per * 2 - 1;
      const init: WorkerInit = {
        address: o.address,
        advertisedAddress: o.advertisedAddress,
        portMin: lo,
        portMax: hi,
        inactivityTimeoutMs: o.inactivityTimeoutMs ?? 60_000,
        relatchAfterMs: o.relatchAfterMs ?? 2_000,
        statsIntervalMs: o.statsIntervalMs ?? 200,
      };
      this.#links.push(new Link(this, i, init, this.#log));
    }
    this.#loopback = o.address === '0.0.0.0' ? '127.0.0.1' : o.address === '::' ? '::1' : o.address;
  }

  get workers(): number {
    return this.#links.length;
  }

  async allocate(label: string): Promise<MediaEndpoint> {
    if (this.#closed) throw new MediaError('ENGINE_CLOSED', 'media engine is closed');
    const start = pin(label, this.#links.length);
    let last: MediaError | undefined;
    // The call's worker first; when its share of the ports is used up, the others in turn.
    for (let i = 0; i < this.#links.length; i++) {
      const link = this.#links[(start + i) % this.#links.length]!;
      try {
        const ep = await this.#allocateOn(link, label);
        this.#endpoints.set(ep, link);
        return ep;
      } catch (err) {
        if (!(err instanceof MediaError) || err.code !== 'PORTS_EXHAUSTED') throw err;
        last = err;
      }
    }
    throw last ?? new MediaError('PORTS_EXHAUSTED', 'no media worker has a free port pair');
  }

  async #allocateOn(link: Link, label: string): Promise<WorkerEndpoint> {
    await link.ready;
    if (this.#closed || !link.alive) throw new MediaError('ENGINE_CLOSED', 'media engine is closed');
    const id = this.#nextId++;
    const local = await new Promise<{ address: string; rtpPort: number; rtcpPort: number }>(
      (resolve, reject) => {
        link.pending.set(id, { resolve, reject });
        link.send({ op: 'allocate', ep: id, label });
      },
    );
    const ep = new WorkerEndpoint(label, id, local, link);
    link.endpoints.set(id, ep);
    if (this.#closed) {
      ep.close();
      throw new MediaError('ENGINE_CLOSED', 'media engine is closed');
    }
    return ep;
  }

  bridge(a: MediaEndpoint, b: MediaEndpoint): MediaBridge {
    const x = this.#own(a);
    const y = this.#own(b);
    if (x === y) throw new MediaError('FOREIGN_ENDPOINT', 'cannot bridge an endpoint to itself');
    if (x.closed || y.closed) throw new MediaError('ENDPOINT_CLOSED', 'cannot bridge a closed endpoint');
    // An endpoint belongs to one bridge at a time (a transfer re-bridges a leg): close any old pairing first.
    this.#bridgeOf.get(x)?.handle.close();
    this.#bridgeOf.get(y)?.handle.close();
    const state: BridgeState = {
      id: this.#nextId++,
      x,
      y,
      open: true,
      trunk: undefined,
      handle: { close: () => this.#closeBridge(state) },
    };
    this.#bridges.add(state);
    this.#bridgeOf.set(x, state);
    this.#bridgeOf.set(y, state);
    const lx = this.#endpoints.get(x)!;
    const ly = this.#endpoints.get(y)!;
    if (lx === ly) lx.send({ op: 'bridge', bridge: state.id, a: x.id, b: y.id });
    else void this.#trunk(state, lx, ly);
    return state.handle;
  }

  /**
   * Legs in two workers: `near` (in x's worker) and `far` (in y's) send to each other over loopback, x is bridged
   * to near and far to y. Both internal legs carry y's codec, so x's worker translates between x's and y's formats
   * exactly as a bridge in one thread would, and y's worker passes the packets through.
   */
  async #trunk(state: BridgeState, lx: Link, ly: Link): Promise<void> {
    let near: WorkerEndpoint | undefined;
    let far: WorkerEndpoint | undefined;
    try {
      [near, far] = await Promise.all([
        this.#allocateOn(lx, `${state.x.label}>trunk`),
        this.#allocateOn(ly, `${state.y.label}>trunk`),
      ]);
    } catch (err) {
      near?.close();
      far?.close();
      if (state.open)
        this.#log('warn', 'media bridge between workers failed', {
          a: state.x.label,
          b: state.y.label,
          err: (err as Error).message,
        });
      return;
    }
    this.#internal.add(near).add(far);
    if (!state.open || state.x.closed || state.y.closed) {
      this.#closeTrunk({ near, far });
      return;
    }
    state.trunk = { near, far };
    for (const [from, to] of [
      [near, far],
      [far, near],
    ] as const) {
      from.setInactivityTimeout(0);
      from.setRemote(
        { address: this.#loopback, port: to.local.rtpPort },
        { address: this.#loopback, port: to.local.rtcpPort },
      );
    }
    this.codecChanged(state.y);
    lx.send({ op: 'bridge', bridge: state.id, a: state.x.id, b: near.id });
    ly.send({ op: 'bridge', bridge: state.id, a: far.id, b: state.y.id });
  }

  #closeTrunk(t: Trunk): void {
    t.near.close();
    t.far.close();
  }

  #closeBridge(state: BridgeState): void {
    if (!state.open) return;
    state.open = false;
    this.#bridges.delete(state);
    if (this.#bridgeOf.get(state.x) === state) this.#bridgeOf.delete(state.x);
    if (this.#bridgeOf.get(state.y) === state) this.#bridgeOf.delete(state.y);
    const lx = this.#endpoints.get(state.x);
    const ly = this.#endpoints.get(state.y);
    lx?.send({ op: 'unbridge', bridge: state.id });
    if (ly !== lx) ly?.send({ op: 'unbridge', bridge: state.id });
    if (state.trunk) this.#closeTrunk(state.trunk);
    state.trunk = undefined;
  }

  /** @internal A leg's codec changed: a trunk towards it carries its codec on both internal legs. */
  codecChanged(ep: WorkerEndpoint): void {
    const state = this.#bridgeOf.get(ep);
    if (!state?.trunk || state.y !== ep || !ep.codec) return;
    state.trunk.near.setCodec(ep.codec);
    state.trunk.far.setCodec(ep.codec);
  }

  play(to: MediaEndpoint, source: AudioSource, o: { loop?: boolean } = {}): MediaPlayer {
    const ep = this.#own(to);
    if (ep.closed) throw new MediaError('ENDPOINT_CLOSED', 'cannot play into a closed endpoint');
    if (!canPlayCodec(ep.codec)) {
      throw new MediaError(
        'CODEC_UNSUPPORTED',
        `cannot play ${ep.codec?.encoding}: re-negotiate the leg first`,
      );
    }
    const link = this.#endpoints.get(ep)!;
    this.#dropPlayer(this.#playerOf.get(ep), false);
    let sourceId = this.#sourceIds.get(source.samples);
    if (sourceId === undefined) this.#sourceIds.set(source.samples, (sourceId = this.#nextId++));
    const known = link.sources.has(sourceId);
    if (!known) {
      link.sources.add(sourceId);
      if (link.sources.size > MAX_SOURCES) link.sources.delete(link.sources.values().next().value!);
    }
    const state: PlayerState = { id: this.#nextId++, ep, link, ended: [] };
    this.#players.set(state.id, state);
    this.#playerOf.set(ep, state);
    link.send({
      op: 'play',
      ep: ep.id,
      player: state.id,
      source: sourceId,
      samples: known ? undefined : source.samples,
      loop: o.loop ?? false,
    });
    return {
      stop: () => this.#dropPlayer(state, true),
      onEnded: (cb) => {
        state.ended.push(cb);
      },
    };
  }

  #dropPlayer(state: PlayerState | undefined, tell: boolean): void {
    if (!state || this.#players.get(state.id) !== state) return;
    this.#players.delete(state.id);
    if (this.#playerOf.get(state.ep) === state) this.#playerOf.delete(state.ep);
    if (tell) state.link.send({ op: 'stopPlayer', player: state.id });
  }

  record(from: MediaEndpoint, o: { maxMs: number }): MediaRecorder {
    const ep = this.#own(from);
    if (ep.closed) throw new MediaError('ENDPOINT_CLOSED', 'cannot record a closed endpoint');
    const link = this.#endpoints.get(ep)!;
    const old = this.#recorderOf.get(ep);
    if (old !== undefined) this.#recorders.get(old)?.stop();
    const id = this.#nextId++;
    const r = new RtpRecorder({
      encoding: ep.codec?.encoding ?? 'PCMU',
      maxMs: o.maxMs,
      finished: () => {
        this.#recorders.delete(id);
        if (this.#recorderOf.get(ep) === id) this.#recorderOf.delete(ep);
        link.send({ op: 'stopRecord', recorder: id });
      },
    });
    this.#recorders.set(id, r);
    this.#recorderOf.set(ep, id);
    link.send({ op: 'record', ep: ep.id, recorder: id });
    return r;
  }

  sendDtmf(to: MediaEndpoint, digits: string): Promise<void> {
    const ep = this.#own(to);
    if (ep.closed) throw new MediaError('ENDPOINT_CLOSED', 'cannot send DTMF into a closed endpoint');
    if (ep.codec?.telephoneEventPt === undefined)
      throw new MediaError('CODEC_UNSUPPORTED', 'the leg negotiated no telephone-event');
    const req = this.#nextId++;
    const done = new Promise<void>((resolve) => this.#dtmf.set(req, resolve));
    this.#endpoints.get(ep)!.send({ op: 'sendDtmf', ep: ep.id, req, digits });
    return done;
  }

  counts(): { endpoints: number; bridges: number; players: number; boundPorts: number } {
    return {
      endpoints: this.#endpoints.size,
      bridges: this.#bridges.size,
      players: this.#players.size + this.#dtmf.size,
      boundPorts: (this.#endpoints.size + this.#internal.size) * 2,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.closing = true;
    for (const b of [...this.#bridges]) b.handle.close();
    for (const ep of [...this.#endpoints.keys()]) ep.close();
    for (const resolve of this.#dtmf.values()) resolve();
    this.#dtmf.clear();
    await Promise.all(
      this.#links.map(async (link) => {
        link.send({ op: 'close' });
        const timer = setTimeout(() => void link.thread.terminate(), CLOSE_TIMEOUT_MS);
        await link.exited;
        clearTimeout(timer);
      }),
    );
  }

  /** @internal */
  endpointClosed(link: Link, ep: WorkerEndpoint): void {
    link.endpoints.delete(ep.id);
    if (this.#internal.delete(ep) || !this.#endpoints.has(ep)) return;
    this.#endpoints.delete(ep);
    this.#bridgeOf.get(ep)?.handle.close();
    this.#dropPlayer(this.#playerOf.get(ep), false);
    // The recorder keeps what it has; nothing more arrives.
    const rec = this.#recorderOf.get(ep);
    if (rec !== undefined) this.#recorders.delete(rec);
    this.#recorderOf.delete(ep);
  }

  /** @internal */
  fromWorker(link: Link, m: FromWorker): void {
    switch (m.t) {
      case 'allocated': {
        const p = link.pending.get(m.ep);
        link.pending.delete(m.ep);
        p?.resolve(m.local);
        return;
      }
      case 'allocateFailed': {
        const p = link.pending.get(m.ep);
        link.pending.delete(m.ep);
        p?.reject(new MediaError(m.code, m.message));
        return;
      }
      case 'stats':
        for (const r of m.rows) link.endpoints.get(r[0])?.applyStats(r);
        return;
      case 'dtmf':
        link.endpoints.get(m.ep)?.fireDtmf(m.digit, m.ms);
        return;
      case 'inactive':
        link.endpoints.get(m.ep)?.fireInactive();
        return;
      case 'playerEnded': {
        const state = this.#players.get(m.player);
        if (!state) return;
        this.#dropPlayer(state, false);
        for (const l of state.ended) l();
        return;
      }
      case 'recorded':
        this.#recorders.get(m.recorder)?.push(m.packet, m.off, m.end);
        return;
      case 'dtmfSent': {
        const resolve = this.#dtmf.get(m.req);
        this.#dtmf.delete(m.req);
        resolve?.();
        return;
      }
      case 'log':
        this.#log(m.level, m.msg, { ...m.fields, worker: link.worker });
        return;
      case 'closed':
        return;
    }
  }

  #own(ep: MediaEndpoint): WorkerEndpoint {
    if (!(ep instanceof WorkerEndpoint) || !this.#endpoints.has(ep)) {
      if (ep instanceof WorkerEndpoint && ep.closed) {
        throw new MediaError('ENDPOINT_CLOSED', `media endpoint ${ep.label} is closed`);
      }
      throw new MediaError('FOREIGN_ENDPOINT', 'endpoint was not allocated by this media engine');
    }
    return ep;
  }
}

/** The worker of a leg: by the call part of its label (`<call>:<leg>`), so both legs of a call share one. */
export function pin(label: string, workers: number): number {
  const colon = label.indexOf(':');
  const key = colon > 0 ? label.slice(0, colon) : label;
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % workers;
}

/** Under tsx (tests, benches) the worker runs the TypeScript source and needs tsx's loader in its own thread. */
function spawnWorker(init: WorkerInit): Worker {
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(ts ? './media-worker.ts' : './media-worker.js', import.meta.url);
  if (!ts) return new Worker(entry, { workerData: init });
  const code = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData: init });
}
