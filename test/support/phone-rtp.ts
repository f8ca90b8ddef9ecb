import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint } from '../../src/sip/transport/types.js';

/** The direction attribute of an SDP offer (RFC 3264 section 5.1; hold is sendonly, section 8.4). */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/**
 * The test phone's media: one UDP socket that counts the RTP reaching it (per payload type, RFC 3550 section 5.1)
 * and sends a plain PCMU stream on request. No jitter buffer, no decoding: tests ask "did media flow".
 */
export class RtpPort {
  readonly #sock: Socket = createSocket('udp4');
  readonly #address: string;
  /** RTP packets received. */
  packetsIn = 0;
  /** Packets received per payload type. */
  readonly payloadTypes = new Map<number, number>();

  constructor(address: string) {
    this.#address = address;
    this.#sock.on('message', (m: Buffer) => {
      if (m.length < 12 || m[0]! >> 6 !== 2) return;
      this.packetsIn++;
      const pt = m[1]! & 0x7f;
      this.payloadTypes.set(pt, (this.payloadTypes.get(pt) ?? 0) + 1);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.#sock.bind(0, this.#address, r));
  }

  get port(): number {
    return this.#sock.address().port;
  }

  /** An SDP offer or answer for PCMU and telephone-event on our socket. */
  sdp(direction: Direction = 'sendrecv'): string {
    const a = this.#address;
    return (
      `v=0\r\no=- 1 1 IN IP4 ${a}\r\ns=-\r\nc=IN IP4 ${a}\r\nt=0 0\r\n` +
      `m=audio ${this.port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n` +
      `a=${direction}\r\n`
    );
  }

  /** Sends `n` packets of PCMU silence (or `payloadType`) to `to`, `intervalMs` apart. */
  async send(to: Endpoint, n: number, o: { payloadType?: number; intervalMs?: number } = {}): Promise<void> {
    const ssrc = randomBytes(4).readUInt32BE(0);
    for (let i = 0; i < n; i++) {
      const pkt = Buffer.alloc(12 + 160, 0xff);
      pkt[0] = 0x80;
      pkt[1] = (o.payloadType ?? 0) & 0x7f;
      pkt.writeUInt16BE(i & 0xffff, 2);
      pkt.writeUInt32BE((i * 160) >>> 0, 4);
      pkt.writeUInt32BE(ssrc, 8);
      this.#sock.send(pkt, to.port, to.address);
      await sleep(o.intervalMs ?? 20);
    }
  }

  close(): Promise<void> {
    return new Promise((r) => this.#sock.close(() => r()));
  }
}

/** Where the peer of an SDP wants its audio (the session or media c= line and the audio m= port). */
export function audioTarget(sdp: string): Endpoint | undefined {
  const port = /^m=audio (\d+)/m.exec(sdp)?.[1];
  const address = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1];
  return port && address ? { address, port: Number(port) } : undefined;
}

/** The direction an SDP states for its audio (sendrecv when absent, RFC 3264 section 5.1). */
export function directionOf(sdp: string): Direction {
  return (
    (/^a=(sendrecv|sendonly|recvonly|inactive)\r?$/m.exec(sdp)?.[1] as Direction | undefined) ?? 'sendrecv'
  );
}
