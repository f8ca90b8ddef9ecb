import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bdecode, bencode, BencodeError } from './bencode.js';

describe('bencode', () => {
  it('encodes the four types, dictionary keys in byte order', () => {
    assert.equal(bencode('spam').toString(), '4:spam');
    assert.equal(bencode(-3).toString(), 'i-3e');
    assert.equal(bencode(['a', 1]).toString(), 'l1:ai1ee');
    assert.equal(
      bencode({ 'to-tag': 'b', command: 'ping', ICE: 'force' }).toString(),
      'd3:ICE5:force7:command4:ping6:to-tag1:be',
    );
  });

  it('counts string lengths in bytes, not characters', () => {
    assert.equal(bencode('ü').toString('latin1'), '2:\u00c3\u00bc');
    assert.equal(bdecode(bencode('Grüße')), 'Grüße');
  });

  it('round-trips an ng answer with SDP', () => {
    const v = { result: 'ok', sdp: 'v=0\r\nm=audio 9 RTP/AVP 0\r\n', flags: ['trust-address'], n: 0 };
    assert.deepEqual({ ...(bdecode(bencode(v)) as object) }, v);
  });

  it('rejects malformed input', () => {
    for (const bad of ['', 'i01e', 'i1', '5:abc', 'd1:ae', 'di1ei2ee', 'x', '4:spamX', 'l'])
      assert.throws(() => bdecode(Buffer.from(bad)), BencodeError, bad);
    assert.throws(() => bdecode(Buffer.from('l'.repeat(100) + 'e'.repeat(100))), BencodeError);
    assert.throws(() => bencode(1.5), BencodeError);
  });
});
