import { randomBytes } from 'node:crypto';
import { RTP_HEADER_LENGTH, writeRtpHeader } from './rtp-header.js';

export interface PacketizerOptions {
  payloadType: number;
  /** Timestamp increment per frame: 160 for 20 ms at 8 kHz (RFC 3551 section 4.5, PCMU/PCMA). */
  samplesPerFrame?: number;
  ssrc?: number;
  sequenceNumber?: number;
  timestamp?: number;
}

/**
 * Numbers outgoing frames of one RTP stream. SSRC, first sequence number and first timestamp are random
 * (RFC 3550 sections 5.1 and 8.1; from node:crypto, never Math.random); the marker bit is set on the first packet
 * of a talkspurt (RFC 3551 section 4.1), which for us is the first packet of the stream.
 */
export class RtpPacketizer {
  readonly payloadType: number;
  readonly ssrc: number;
  readonly samplesPerFrame: number;
  #seq: number;
  #ts: number;
  #first = true;

  constructor(o: PacketizerOptions) {
    const r = randomBytes(10);
    this.payloadType = o.payloadType;
    this.samplesPerFrame = o.samplesPerFrame ?? 160;
    this.ssrc = o.ssrc ?? r.readUInt32BE(0);
    this.#seq = o.sequenceNumber ?? r.readUInt16BE(4);
    this.#ts = o.timestamp ?? r.readUInt32BE(6);
  }

  get nextSequenceNumber(): number {
    return this.#seq;
  }

  get nextTimestamp(): number {
    return this.#ts;
  }

  /**
   * Writes header + payload into `into` (allocated when absent or too small) and advances sequence and
   * timestamp. Returns the view holding exactly the packet.
   */
  packetize(payload: Uint8Array, into?: Buffer): Buffer {
    const len = RTP_HEADER_LENGTH + payload.length;
    const buf = into && into.length >= len ? into.subarray(0, len) : Buffer.allocUnsafe(len);
    writeRtpHeader(buf, {
      marker: this.#first,
      payloadType: this.payloadType,
      sequenceNumber: this.#seq,
      timestamp: this.#ts,
      ssrc: this.ssrc,
    });
    buf.set(payload, RTP_HEADER_LENGTH);
    this.#first = false;
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#ts = (this.#ts + this.samplesPerFrame) >>> 0;
    return buf;
  }

  /**
   * A packet at an explicit timestamp and marker (an RFC 4733 event keeps its start timestamp in every packet,
   * section 2.5.1.2); only the sequence number advances.
   */
  packetizeAt(payload: Uint8Array, timestamp: number, marker: boolean): Buffer {
    const buf = Buffer.allocUnsafe(RTP_HEADER_LENGTH + payload.length);
    writeRtpHeader(buf, {
      marker,
      payloadType: this.payloadType,
      sequenceNumber: this.#seq,
      timestamp: timestamp >>> 0,
      ssrc: this.ssrc,
    });
    buf.set(payload, RTP_HEADER_LENGTH);
    this.#first = false;
    this.#seq = (this.#seq + 1) & 0xffff;
    return buf;
  }

  /** Frames not sent (we fell behind): the timestamp still advances so it tracks the sampling clock (RFC 3550 5.1). */
  skip(frames: number): void {
    this.#ts = (this.#ts + frames * this.samplesPerFrame) >>> 0;
  }
}
