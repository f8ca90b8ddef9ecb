import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseMessage } from '../message/index.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/index.js';
import { inviteWithCredentials } from './authenticated-invite.js';
import type { OutgoingInvite, OutgoingInviteResult } from './outgoing-invite.js';
import type { InviteOptions } from './user-agent-core.js';

function parsed(text: string): SipMessage {
  const r = parseMessage(Buffer.from(text));
  if (!r.ok) throw new Error(r.reason);
  return r.message;
}

/** A stand-in for the UA core: records each INVITE's options and lets the test settle it. */
function fakeUa() {
  const sent: Array<{ o: InviteOptions; settle(r: SipResponse): void; cancelled: string[] }> = [];
  let seq = 100;
  return {
    sent,
    invite(o: InviteOptions): OutgoingInvite {
      const cseq = o.cseq ?? seq++;
      const request = parsed(
        `INVITE ${o.requestUri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK${cseq}\r\n` +
          `From: ${o.from};tag=${o.fromTag ?? 'ft1'}\r\nTo: ${o.to}\r\nCall-ID: ${o.callId ?? 'cid1'}\r\n` +
          `CSeq: ${cseq} INVITE\r\nContent-Length: 0\r\n\r\n`,
      ) as SipRequest;
      let settle!: (r: OutgoingInviteResult) => void;
      const result = new Promise<OutgoingInviteResult>((r) => (settle = r));
      const entry = { o, settle: (r: SipResponse) => settle({ response: r }), cancelled: [] as string[] };
      sent.push(entry);
      return {
        request,
        result,
        onProvisional: () => undefined,
        cancel: (reason?: string) => entry.cancelled.push(reason ?? ''),
      };
    },
  };
}

function response(status: number, headers: string[] = []): SipResponse {
  return parsed(
    `SIP/2.0 ${status} X\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=ft1\r\n` +
      `To: <sip:b@x>;tag=tt\r\nCall-ID: cid1\r\nCSeq: 1 INVITE\r\n${headers.map((h) => `${h}\r\n`).join('')}` +
      `Content-Length: 0\r\n\r\n`,
  ) as SipResponse;
}

const OPTS: InviteOptions = {
  flow: {
    protocol: 'udp',
    local: { address: '127.0.0.1', port: 5060 },
    remote: { address: '127.0.0.9', port: 5060 },
  },
  requestUri: 'sip:+4930123@carrier.test',
  from: '<sip:+4930555@carrier.test>',
  to: '<sip:+4930123@carrier.test>',
};
const CREDS = { username: 'acct', password: 'secret-Pass-1' };
const CHALLENGE = 'Proxy-Authenticate: Digest realm="carrier.test", nonce="n1", qop="auth"';
const tick = () => new Promise((r) => setImmediate(r));

describe('inviteWithCredentials', () => {
  it('answers a 407 with the same Call-ID and From tag, CSeq + 1, and a correct Proxy-Authorization', async () => {
    const ua = fakeUa();
    const inv = inviteWithCredentials(ua, OPTS, CREDS);
    ua.sent[0]!.settle(response(407, [CHALLENGE]));
    await tick();
    assert.equal(ua.sent.length, 2);
    const retry = ua.sent[1]!.o;
    assert.equal(retry.callId, 'cid1');
    assert.equal(retry.fromTag, 'ft1');
    assert.equal(retry.cseq, 101);
    const [name, value] = retry.headers!.at(-1)!;
    assert.equal(name, 'Proxy-Authorization');
    const p = Object.fromEntries(
      [...value.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1], m[2] ?? m[3]]),
    );
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ha2 = md5(`INVITE:${p.uri}`);
    const ha1 = md5('acct:carrier.test:secret-Pass-1');
    assert.equal(p.response, md5(`${ha1}:n1:${p.nc}:${p.cnonce}:auth:${ha2}`));
    ua.sent[1]!.settle(response(200));
    assert.equal((await inv.result).response.status, 200);
  });

  it('a second challenge that is not stale is the final answer (wrong password), no third INVITE', async () => {
    const ua = fakeUa();
    const inv = inviteWithCredentials(ua, OPTS, CREDS);
    ua.sent[0]!.settle(response(407, [CHALLENGE]));
    await tick();
    ua.sent[1]!.settle(response(407, [CHALLENGE]));
    assert.equal((await inv.result).response.status, 407);
    assert.equal(ua.sent.length, 2);
  });

  it('cancel() reaches the INVITE in flight and stops a retry', async () => {
    const ua = fakeUa();
    const inv = inviteWithCredentials(ua, OPTS, CREDS);
    inv.cancel('SIP;cause=200');
    assert.deepEqual(ua.sent[0]!.cancelled, ['SIP;cause=200']);
    ua.sent[0]!.settle(response(407, [CHALLENGE]));
    assert.equal((await inv.result).response.status, 407);
    assert.equal(ua.sent.length, 1);
  });

  it('without a usable challenge (unknown algorithm) the 401 is the result', async () => {
    const ua = fakeUa();
    const inv = inviteWithCredentials(ua, OPTS, CREDS);
    ua.sent[0]!.settle(
      response(401, ['WWW-Authenticate: Digest realm="x", nonce="n", algorithm=SHA-512-256']),
    );
    assert.equal((await inv.result).response.status, 401);
    assert.equal(ua.sent.length, 1);
  });
});
