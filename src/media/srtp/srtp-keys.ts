import { createCipheriv } from 'node:crypto';

/**
 * SRTP key material (RFC 3711 section 4.3): the session keys of one direction, derived from the SDES master key
 * and salt (RFC 4568 section 6.1). The key derivation rate is 0 (the default, and all that SDES offers without a
 * KDR parameter), so every key is derived once, with index 0.
 */

/** The crypto suites of RFC 4568 section 6.2 we implement: AES counter mode with an 80- or 32-bit HMAC-SHA1 tag. */
export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

export const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

export const MASTER_KEY_LENGTH = 16;
export const MASTER_SALT_LENGTH = 14;

/** Authentication tag length of SRTP packets; SRTCP always carries 80 bits (RFC 4568 section 6.2.2). */
export function rtpTagLength(suite: SrtpSuite): number {
  return suite === 'AES_CM_128_HMAC_SHA1_32' ? 4 : 10;
}

export interface SessionKeys {
  cipherKey: Buffer;
  /** 14 bytes: the session salt k_s, shifted into the IV (RFC 3711 section 4.1.1). */
  salt: Buffer;
  authKey: Buffer;
}

/** Key derivation labels (RFC 3711 section 4.3.1 for SRTP, 4.3.2 for SRTCP). */
const LABEL = {
  rtpCipher: 0x00,
  rtpAuth: 0x01,
  rtpSalt: 0x02,
  rtcpCipher: 0x03,
  rtcpAuth: 0x04,
  rtcpSalt: 0x05,
} as const;

/**
 * The AES-CM PRF of RFC 3711 section 4.3.3: x = label || index (0 here) XORed into the master salt at byte 7,
 * the keystream of AES-CM with IV = x * 2^16, truncated to `length` bytes.
 */
function derive(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, MASTER_SALT_LENGTH);
  iv[7]! ^= label;
  const cipher = createCipheriv('aes-128-ctr', masterKey, iv);
  return cipher.update(Buffer.alloc(length));
}

export function deriveSessionKeys(masterKey: Buffer, masterSalt: Buffer, kind: 'rtp' | 'rtcp'): SessionKeys {
  if (masterKey.length !== MASTER_KEY_LENGTH || masterSalt.length !== MASTER_SALT_LENGTH) {
    throw new RangeError('SRTP master key must be 16 bytes and master salt 14 bytes');
  }
  const rtp = kind === 'rtp';
  return {
    cipherKey: derive(masterKey, masterSalt, rtp ? LABEL.rtpCipher : LABEL.rtcpCipher, 16),
    salt: derive(masterKey, masterSalt, rtp ? LABEL.rtpSalt : LABEL.rtcpSalt, 14),
    // n_a = 160 bits for HMAC-SHA1 (RFC 3711 section 8.2 / 4.2.1).
    authKey: derive(masterKey, masterSalt, rtp ? LABEL.rtpAuth : LABEL.rtcpAuth, 20),
  };
}

/**
 * The AES-CM IV of RFC 3711 section 4.1.1: (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i the 48-bit packet
 * index (SRTP) or the 31-bit SRTCP index. Written into `iv` (16 bytes) to keep the packet path allocation-free.
 */
export function writeIv(iv: Buffer, salt: Buffer, ssrc: number, indexHigh: number, indexLow: number): void {
  salt.copy(iv, 0, 0, 14);
  iv[14] = 0;
  iv[15] = 0;
  iv[4]! ^= (ssrc >>> 24) & 0xff;
  iv[5]! ^= (ssrc >>> 16) & 0xff;
  iv[6]! ^= (ssrc >>> 8) & 0xff;
  iv[7]! ^= ssrc & 0xff;
  // i * 2^16 puts the 48-bit index in bytes 8..13: the high 16 bits (indexHigh) then the low 32 (indexLow).
  iv[8]! ^= (indexHigh >>> 8) & 0xff;
  iv[9]! ^= indexHigh & 0xff;
  iv[10]! ^= (indexLow >>> 24) & 0xff;
  iv[11]! ^= (indexLow >>> 16) & 0xff;
  iv[12]! ^= (indexLow >>> 8) & 0xff;
  iv[13]! ^= indexLow & 0xff;
}
