import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { describe, it } from 'node:test';
import { ProtectionProfileAes128CmHmacSha1_80, RtpHeader, SrtcpSession, SrtpSession } from 'werift';
import { chooseCrypto, keyParamsOf, newKeyMaterial, parseKeyParams } from './sdes.js';
import { SrtpContext, type SrtpKeyMaterial } from './srtp-context.js';
import { deriveSessionKeys, writeIv } from './srtp-keys.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const MASTER: SrtpKeyMaterial = {
  suite: 'AES_CM_128_HMAC_SHA1_80',
  masterKey: hex('E1F97A0D3E018BE0D64FA32C06DE4139'),
  masterSalt: hex('0EC675AD498AFEEBB6960B3AABE6'),
};

function rtp(seq: number, ssrc = 0x11223344, payload = Buffer.alloc(160, 0x55)): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = 0;
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE((seq * 160) >>> 0, 4);
  h.writeUInt32BE(ssrc, 8);
  return Buffer.concat([h, payload]);
}

function rtcpSenderReport(ssrc = 0x11223344): Buffer {
  const p = Buffer.alloc(28);
  p[0] = 0x80;
  p[1] = 200;
  p.writeUInt16BE(6, 2);
  p.writeUInt32BE(ssrc, 4);
  p.fill(0x42, 8);
  return p;
}

describe('SRTP key derivation and keystream (RFC 3711 appendix B)', () => {
  it('B.3: the session keys of the example master key', () => {
    const k = deriveSessionKeys(MASTER.masterKey, MASTER.masterSalt, 'rtp');
    assert.equal(k.cipherKey.toString('hex').toUpperCase(), 'C61E7A93744F39EE10734AFE3FF7A087');
    assert.equal(k.salt.toString('hex').toUpperCase(), '30CBBC08863D8C85D49DB34A9AE1');
    assert.equal(k.authKey.toString('hex').toUpperCase(), 'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
  });

  it('B.2: the AES-CM keystream blocks for index 0, SSRC 0', () => {
    const iv = Buffer.alloc(16);
    writeIv(iv, hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'), 0, 0, 0);
    assert.equal(iv.toString('hex').toUpperCase(), 'F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
    const ks = createCipheriv('aes-128-ctr', hex('2B7E151628AED2A6ABF7158809CF4F3C'), iv).update(
      Buffer.alloc(16 * 0xff02),
    );
    const block = (n: number): string =>
      ks
        .subarray(n * 16, n * 16 + 16)
        .toString('hex')
        .toUpperCase();
    assert.equal(block(0), 'E03EAD0935C95E80E166B16DD92B4EB4');
    assert.equal(block(1), 'D23513162B02D0F72A43A2FE4A5F97AB');
    assert.equal(block(2), '41E95B3BB0A2E8DD477901E4FCA894C0');
    assert.equal(block(0xfeff), 'EC8CDF7398607CB0F2D21675EA9EA1E4');
    assert.equal(block(0xff00), '362B7C3C6773516318A077D7FC5073AE');
    assert.equal(block(0xff01), '6A2CC3787889374FBEB4C81B17BA6C44');
  });

  it('the IV carries SSRC and packet index where section 4.1.1 puts them', () => {
    const iv = Buffer.alloc(16);
    writeIv(iv, Buffer.alloc(14), 0xaabbccdd, 0x0102, 0x03040506);
    assert.equal(iv.toString('hex'), '00000000aabbccdd0102030405060000');
  });
});

describe('SRTP protect/unprotect', () => {
  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
    it(`${suite}: a round trip restores the packet; the payload on the wire is not the plain one`, () => {
      const k = { ...MASTER, suite };
      const tx = new SrtpContext(k);
      const rx = new SrtpContext(k);
      const plain = rtp(7);
      const wire = tx.protectRtp(plain);
      assert.equal(wire.length, plain.length + (suite.endsWith('80') ? 10 : 4));
      assert.deepEqual(wire.subarray(0, 12), plain.subarray(0, 12), 'the header stays in the clear');
      assert.notDeepEqual(wire.subarray(12, plain.length), plain.subarray(12));
      const n = rx.unprotectRtp(wire);
      assert.equal(n, plain.length);
      assert.deepEqual(wire.subarray(0, n), plain);
    });
  }

  it('a wrong key fails authentication: nothing is decrypted', () => {
    const tx = new SrtpContext(MASTER);
    const rx = new SrtpContext(newKeyMaterial('AES_CM_128_HMAC_SHA1_80'));
    const wire = tx.protectRtp(rtp(1));
    const copy = Buffer.from(wire);
    assert.equal(rx.unprotectRtp(wire), -1);
    assert.deepEqual(wire, copy, 'a refused packet is left as it was');
  });

  it('a flipped payload bit fails authentication', () => {
    const tx = new SrtpContext(MASTER);
    const rx = new SrtpContext(MASTER);
    const wire = tx.protectRtp(rtp(1));
    wire[20]! ^= 1;
    assert.equal(rx.unprotectRtp(wire), -1);
  });

  it('replays are refused, reordering inside the window is not, packets older than the window are', () => {
    const tx = new SrtpContext(MASTER);
    const rx = new SrtpContext(MASTER);
    const wires = Array.from({ length: 100 }, (_, i) => tx.protectRtp(rtp(i)));
    assert.ok(rx.unprotectRtp(Buffer.from(wires[5]!)) > 0);
    assert.equal(rx.unprotectRtp(Buffer.from(wires[5]!)), -1, 'replay');
    assert.ok(rx.unprotectRtp(Buffer.from(wires[3]!)) > 0, 'late but inside the window');
    assert.ok(rx.unprotectRtp(Buffer.from(wires[99]!)) > 0);
    assert.equal(rx.unprotectRtp(Buffer.from(wires[20]!)), -1, 'older than 64 packets');
    assert.ok(rx.unprotectRtp(Buffer.from(wires[50]!)) > 0);
  });

  it('the rollover counter follows a sequence number wrap on both sides (appendix A)', () => {
    const tx = new SrtpContext(MASTER);
    const rx = new SrtpContext(MASTER);
    for (let seq = 65530; seq < 65546; seq++) {
      const plain = rtp(seq);
      const wire = tx.protectRtp(plain);
      assert.equal(rx.unprotectRtp(wire), plain.length, `seq ${seq}`);
      assert.deepEqual(wire.subarray(0, plain.length), plain);
    }
    // A packet from before the wrap, relayed late, is still protected and accepted with the old ROC.
    const late = tx.protectRtp(rtp(65529));
    assert.equal(rx.unprotectRtp(late), 172);
  });

  it('SRTCP: a round trip, a replay refused, a wrong key refused', () => {
    const tx = new SrtpContext(MASTER);
    const rx = new SrtpContext(MASTER);
    const plain = rtcpSenderReport();
    const wire = tx.protectRtcp(plain);
    assert.equal(wire.length, plain.length + 14);
    assert.equal(wire[plain.length]! & 0x80, 0x80, 'E flag: encrypted');
    const copy = Buffer.from(wire);
    assert.equal(rx.unprotectRtcp(wire), plain.length);
    assert.deepEqual(wire.subarray(0, plain.length), plain);
    assert.equal(rx.unprotectRtcp(copy), -1, 'replay');
    const other = new SrtpContext(newKeyMaterial('AES_CM_128_HMAC_SHA1_80'));
    assert.equal(other.unprotectRtcp(tx.protectRtcp(plain)), -1);
  });

  it('interoperates with an independent implementation (werift) both ways, SRTP and SRTCP', () => {
    const ours = newKeyMaterial('AES_CM_128_HMAC_SHA1_80');
    const theirs = newKeyMaterial('AES_CM_128_HMAC_SHA1_80');
    const keys = {
      localMasterKey: theirs.masterKey,
      localMasterSalt: theirs.masterSalt,
      remoteMasterKey: ours.masterKey,
      remoteMasterSalt: ours.masterSalt,
    };
    const peer = new SrtpSession({ keys, profile: ProtectionProfileAes128CmHmacSha1_80 });
    const peerRtcp = new SrtcpSession({ keys, profile: ProtectionProfileAes128CmHmacSha1_80 });
    const tx = new SrtpContext(ours);
    const rx = new SrtpContext(theirs);
    for (const seq of [1, 2, 3]) {
      const plain = rtp(seq);
      assert.deepEqual(peer.decrypt(tx.protectRtp(plain)), plain, 'werift reads ours');
      const header = new RtpHeader({
        payloadType: 0,
        sequenceNumber: seq,
        timestamp: seq * 160,
        ssrc: 0x55667788,
      });
      const wire = peer.encrypt(Buffer.alloc(160, seq), header);
      const n = rx.unprotectRtp(wire);
      assert.ok(n > 0, 'we read werift');
      assert.deepEqual(wire.subarray(12, n), Buffer.alloc(160, seq));
    }
    const sr = rtcpSenderReport(0x55667788);
    assert.deepEqual(peerRtcp.decrypt(tx.protectRtcp(sr)), sr);
    const wire = peerRtcp.encrypt(Buffer.from(sr));
    assert.equal(rx.unprotectRtcp(wire), sr.length);
    assert.deepEqual(wire.subarray(0, sr.length), sr);
  });
});

describe('SDES key parameters (RFC 4568)', () => {
  it('parses an inline key, with and without lifetime; refuses MKI, several keys and wrong sizes', () => {
    const k = newKeyMaterial('AES_CM_128_HMAC_SHA1_80');
    const params = keyParamsOf(k);
    assert.deepEqual(parseKeyParams('AES_CM_128_HMAC_SHA1_80', params)?.masterKey, k.masterKey);
    assert.ok(parseKeyParams('AES_CM_128_HMAC_SHA1_80', `${params}|2^31`));
    assert.equal(parseKeyParams('AES_CM_128_HMAC_SHA1_80', `${params}|2^20|1:4`), undefined);
    assert.equal(parseKeyParams('AES_CM_128_HMAC_SHA1_80', `${params};${params}`), undefined);
    assert.equal(parseKeyParams('AES_CM_128_HMAC_SHA1_80', 'inline:AAAA'), undefined);
  });

  it('chooses the first offered suite we implement', () => {
    const key = keyParamsOf(newKeyMaterial('AES_CM_128_HMAC_SHA1_32'));
    const c = chooseCrypto([
      { tag: 1, suite: 'AEAD_AES_256_GCM', keyParams: key },
      { tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', keyParams: key },
      { tag: 3, suite: 'AES_CM_128_HMAC_SHA1_80', keyParams: key },
    ]);
    assert.equal(c?.tag, 2);
    assert.equal(c?.remote.suite, 'AES_CM_128_HMAC_SHA1_32');
    assert.equal(chooseCrypto([{ tag: 1, suite: 'F8_128_HMAC_SHA1_80', keyParams: key }]), undefined);
  });
});
