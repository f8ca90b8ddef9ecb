import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTCP_RR, call, closeEnginesAfterTests, engine, rtp, sleep } from '../media-test-helpers.js';
import { newKeyMaterial } from './sdes.js';
import { SrtpContext } from './srtp-context.js';

closeEnginesAfterTests();

describe('the relay with an SRTP leg (MediaEndpoint.setSrtp)', () => {
  it('decrypts what the SRTP phone sends for the plain leg and protects what goes back to it (RTP and RTCP)', async () => {
    const { a, b, pa, pb, done } = await call(engine());
    const phoneKey = newKeyMaterial('AES_CM_128_HMAC_SHA1_80');
    const ourKey = newKeyMaterial('AES_CM_128_HMAC_SHA1_80');
    a.setSrtp!({ local: ourKey, remote: phoneKey });
    const phoneTx = new SrtpContext(phoneKey);
    const phoneRx = new SrtpContext(ourKey);

    const plain = rtp(1);
    pa.send(a, phoneTx.protectRtp(plain));
    await pb.until(() => pb.gotRtp.length === 1);
    assert.deepEqual(pb.gotRtp[0]!.data, plain, 'the plain leg gets plain RTP');

    const back = rtp(9, 0, new Uint8Array(160).fill(0x11), 777);
    pb.send(b, back);
    await pa.until(() => pa.gotRtp.length === 1);
    const wire = Buffer.from(pa.gotRtp[0]!.data);
    assert.equal(wire.length, back.length + 10);
    assert.notDeepEqual(wire.subarray(12, back.length), back.subarray(12), 'not plain PCMU on the SRTP leg');
    assert.equal(phoneRx.unprotectRtp(wire), back.length);
    assert.deepEqual(wire.subarray(0, back.length), back);

    pa.sendRtcp(a, phoneTx.protectRtcp(RTCP_RR));
    await pb.until(() => pb.gotRtcp.length === 1);
    assert.deepEqual(pb.gotRtcp[0]!.data, RTCP_RR);
    pb.sendRtcp(b, RTCP_RR);
    await pa.until(() => pa.gotRtcp.length === 1);
    const rtcp = Buffer.from(pa.gotRtcp[0]!.data);
    assert.equal(phoneRx.unprotectRtcp(rtcp), RTCP_RR.length);
    done();
  });

  it('packets under a wrong key are dropped and counted, never relayed (no audio)', async () => {
    const { a, pa, pb, done } = await call(engine());
    a.setSrtp!({
      local: newKeyMaterial('AES_CM_128_HMAC_SHA1_80'),
      remote: newKeyMaterial('AES_CM_128_HMAC_SHA1_80'),
    });
    const wrong = new SrtpContext(newKeyMaterial('AES_CM_128_HMAC_SHA1_80'));
    for (let i = 0; i < 5; i++) pa.send(a, wrong.protectRtp(rtp(i)));
    pa.send(a, rtp(6)); // plain RTP on an SRTP leg is refused too
    await sleep(150);
    assert.equal(pb.gotRtp.length, 0);
    assert.equal(a.stats().packetsDropped, 6);
    assert.equal(a.stats().packetsIn, 0);
    done();
  });

  it('SRTP on both legs: each leg its own keys', async () => {
    const { a, b, pa, pb, done } = await call(engine());
    const ka = {
      phone: newKeyMaterial('AES_CM_128_HMAC_SHA1_32'),
      ours: newKeyMaterial('AES_CM_128_HMAC_SHA1_32'),
    };
    const kb = {
      phone: newKeyMaterial('AES_CM_128_HMAC_SHA1_80'),
      ours: newKeyMaterial('AES_CM_128_HMAC_SHA1_80'),
    };
    a.setSrtp!({ local: ka.ours, remote: ka.phone });
    b.setSrtp!({ local: kb.ours, remote: kb.phone });
    const plain = rtp(3);
    pa.send(a, new SrtpContext(ka.phone).protectRtp(plain));
    await pb.until(() => pb.gotRtp.length === 1);
    const wire = Buffer.from(pb.gotRtp[0]!.data);
    assert.equal(new SrtpContext(kb.ours).unprotectRtp(wire), plain.length);
    assert.deepEqual(wire.subarray(0, plain.length), plain);
    done();
  });
});
