import { randomInt } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { after } from 'node:test';
import { SystemClock, type Clock } from '../util/clock.js';
import type { MediaEndpoint, MediaEngine } from './media-engine.js';
import { createMediaEngine } from './udp-media-engine.js';
import { buildRtpPacket } from './rtp/rtp-header.js';

/** What the MediaEngine tests share: engines on private port ranges, a fake phone, RTP packets, a bridged call. */
// A random even base per run so parallel test files (and a second checkout) do not fight over ports.
export const BASE = randomInt(20_000, 30_000) * 2;
let nextRange = BASE;
export function range(pairs: number): { portMin: number; portMax: number } {
  const portMin = nextRange;
  nextRange += pairs * 2 + 2;
  return { portMin, portMax: portMin + pairs * 2 - 1 };
}

export const engines: MediaEngine[] = [];
export function engine(
  o: { pairs?: number; clock?: Clock; inactivityTimeoutMs?: number; relatchAfterMs?: number } = {},
) {
  const e = createMediaEngine({
    clock: o.clock ?? new SystemClock(),
    address: '127.0.0.1',
    ...range(o.pairs ?? 8),
    inactivityTimeoutMs: o.inactivityTimeoutMs,
    relatchAfterMs: o.relatchAfterMs,
  });
  engines.push(e);
  return e;
}

export interface Got {
  data: Buffer;
  from: RemoteInfo;
}

/** A phone: an RTP and an RTCP socket that record what arrives. */
export class FakePhone {
  readonly rtp: Socket = createSocket('udp4');
  readonly rtcp: Socket = createSocket('udp4');
  readonly gotRtp: Got[] = [];
  readonly gotRtcp: Got[] = [];
  #waiters: Array<() => void> = [];

  static async create(): Promise<FakePhone> {
    const p = new FakePhone();
    await Promise.all([bind(p.rtp), bind(p.rtcp)]);
    p.rtp.on('message', (data, from) => p.#push(p.gotRtp, { data, from }));
    p.rtcp.on('message', (data, from) => p.#push(p.gotRtcp, { data, from }));
    return p;
  }

  get rtpPort(): number {
    return this.rtp.address().port;
  }

  /** What its SDP would say: RTCP on the RTCP socket, given explicitly (a=rtcp) since it is not rtp+1. */
  sdp(): [{ address: string; port: number }, { address: string; port: number }] {
    return [
      { address: '127.0.0.1', port: this.rtpPort },
      { address: '127.0.0.1', port: this.rtcp.address().port },
    ];
  }

  send(to: MediaEndpoint, packet: Uint8Array, via: Socket = this.rtp): void {
    via.send(packet, to.local.rtpPort, '127.0.0.1');
  }

  sendRtcp(to: MediaEndpoint, packet: Uint8Array): void {
    this.rtcp.send(packet, to.local.rtcpPort, '127.0.0.1');
  }

  #push(list: Got[], g: Got): void {
    list.push(g);
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves once `cond` holds; rejects after `ms`. */
  async until(cond: () => boolean, ms = 2000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for packets');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.rtp.close();
    this.rtcp.close();
  }
}

export function bind(s: Socket, port = 0): Promise<void> {
  return new Promise((resolve) => s.bind(port, '127.0.0.1', () => resolve()));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function rtp(
  seq: number,
  payloadType = 0,
  payload: Uint8Array = new Uint8Array(160).fill(0xff),
  ssrc = 1234,
): Buffer {
  return buildRtpPacket(
    { marker: false, payloadType, sequenceNumber: seq, timestamp: seq * 160, ssrc },
    payload,
  );
}

export const RTCP_RR = Buffer.from([0x80, 201, 0, 1, 0, 0, 0x04, 0xd2]); // empty receiver report (RFC 3550 6.4.2)

export async function call(e: MediaEngine) {
  const [a, b] = await Promise.all([e.allocate('a'), e.allocate('b')]);
  const [pa, pb] = await Promise.all([FakePhone.create(), FakePhone.create()]);
  a.setRemote(...pa.sdp());
  b.setRemote(...pb.sdp());
  const bridge = e.bridge(a, b);
  return { a, b, pa, pb, bridge, done: () => (pa.close(), pb.close()) };
}

/** Closes every engine the file made once its tests are done (call at the top level of each test file). */
export function closeEnginesAfterTests(): void {
  after(async () => {
    await Promise.all(engines.map((e) => e.close()));
  });
}
