import dgram from 'node:dgram';
import { encodeG711 } from '../../../src/media/codec/g711.js';

/** A plain RTP peer: sends a 440 Hz tone in PCMU every 20 ms to `to` and counts what comes back. */
export async function plainPhone(): Promise<{
  port: number;
  received: () => number;
  /** RFC 4733 event codes received with payload type 101. */
  events: () => number[];
  send: (to: { address: string; port: number }) => void;
  close: () => void;
}> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  let received = 0;
  const events: number[] = [];
  sock.on('message', (m) => {
    if (m.length > 12 && (m[1]! & 0x7f) === 0) received++;
    if (m.length >= 16 && (m[1]! & 0x7f) === 101) events.push(m[12]!);
  });
  let timer: NodeJS.Timeout | undefined;
  let seq = 1;
  let ts = 0;
  const ssrc = 0x1234abcd;
  const frame = new Int16Array(160);
  return {
    port: sock.address().port,
    received: () => received,
    events: () => events,
    send(to) {
      timer = setInterval(() => {
        for (let i = 0; i < 160; i++)
          frame[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (ts + i)) / 8000));
        const head = Buffer.alloc(12);
        head[0] = 0x80;
        head[1] = 0;
        head.writeUInt16BE(seq++ & 0xffff, 2);
        head.writeUInt32BE(ts >>> 0, 4);
        head.writeUInt32BE(ssrc, 8);
        ts += 160;
        sock.send(Buffer.concat([head, Buffer.from(encodeG711('PCMU', frame))]), to.port, to.address);
      }, 20);
    },
    close() {
      clearInterval(timer);
      sock.close();
    },
  };
}

/**
 * A plain RTP/AVP PCMU description of `port` on loopback (the relay's side of a gateway), with telephone-event
 * as 101 when `events` (a number unlike Chromium's).
 */
export const plainAnswer = (port: number, direction = 'sendrecv', events = false) =>
  [
    'v=0',
    'o=phone 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0${events ? ' 101' : ''}`,
    'a=rtpmap:0 PCMU/8000',
    ...(events ? ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16'] : []),
    `a=${direction}`,
    '',
  ].join('\r\n');
