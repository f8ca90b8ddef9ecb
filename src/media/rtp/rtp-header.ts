/**
 * RTP fixed header (RFC 3550 section 5.1):
 *
 *   V=2 | P | X | CC(4) | M | PT(7) | sequence number(16) | timestamp(32) | SSRC(32) | CSRC list | [extension]
 */
export const RTP_HEADER_LENGTH = 12;

export interface RtpHeader {
  padding: boolean;
  extension: boolean;
  csrcCount: number;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Offset of the payload: after the CSRC list and the header extension (RFC 3550 section 5.3.1). */
  payloadOffset: number;
  /** Payload length without the padding (RFC 3550 section 5.1, P bit: the last octet counts the padding). */
  payloadLength: number;
}

/**
 * Offset of the payload in an RTP packet, or -1 when the packet is not valid RTP version 2 or is truncated.
 * Allocation-free, for the relay's hot path.
 */
export function rtpPayloadOffset(buf: Uint8Array, length: number = buf.length): number {
  if (length < RTP_HEADER_LENGTH || (buf[0]! & 0xc0) !== 0x80) return -1;
  let off = RTP_HEADER_LENGTH + (buf[0]! & 0x0f) * 4;
  if (buf[0]! & 0x10) {
    if (length < off + 4) return -1;
    off += 4 + ((buf[off + 2]! << 8) | buf[off + 3]!) * 4;
  }
  return off <= length ? off : -1;
}

/** Payload end (exclusive) once padding is removed, or -1 when the padding count is inconsistent. */
export function rtpPayloadEnd(buf: Uint8Array, payloadOffset: number, length: number = buf.length): number {
  if (!(buf[0]! & 0x20)) return length;
  const pad = buf[length - 1]!;
  return pad === 0 || length - pad < payloadOffset ? -1 : length - pad;
}

export function parseRtpHeader(buf: Uint8Array, length: number = buf.length): RtpHeader | undefined {
  const payloadOffset = rtpPayloadOffset(buf, length);
  if (payloadOffset < 0) return undefined;
  const end = rtpPayloadEnd(buf, payloadOffset, length);
  if (end < 0) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, length);
  return {
    padding: (buf[0]! & 0x20) !== 0,
    extension: (buf[0]! & 0x10) !== 0,
    csrcCount: buf[0]! & 0x0f,
    marker: (buf[1]! & 0x80) !== 0,
    payloadType: buf[1]! & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payloadOffset,
    payloadLength: end - payloadOffset,
  };
}

export interface RtpHeaderFields {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
}

/** Writes a 12-byte header (no CSRCs, no extension, no padding) at `offset`; returns the bytes written. */
export function writeRtpHeader(into: Uint8Array, h: RtpHeaderFields, offset = 0): number {
  into[offset] = 0x80;
  into[offset + 1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  into[offset + 2] = (h.sequenceNumber >>> 8) & 0xff;
  into[offset + 3] = h.sequenceNumber & 0xff;
  into[offset + 4] = (h.timestamp >>> 24) & 0xff;
  into[offset + 5] = (h.timestamp >>> 16) & 0xff;
  into[offset + 6] = (h.timestamp >>> 8) & 0xff;
  into[offset + 7] = h.timestamp & 0xff;
  into[offset + 8] = (h.ssrc >>> 24) & 0xff;
  into[offset + 9] = (h.ssrc >>> 16) & 0xff;
  into[offset + 10] = (h.ssrc >>> 8) & 0xff;
  into[offset + 11] = h.ssrc & 0xff;
  return RTP_HEADER_LENGTH;
}

/** A complete packet: header + payload, in a new Buffer. */
export function buildRtpPacket(h: RtpHeaderFields, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(RTP_HEADER_LENGTH + payload.length);
  writeRtpHeader(buf, h);
  buf.set(payload, RTP_HEADER_LENGTH);
  return buf;
}
