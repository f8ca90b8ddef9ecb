import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAuthValue } from '../../sip/auth/auth-header.js';
import { computeDigestResponse } from '../../sip/auth/digest-response.js';
import { computeHa1 } from '../../sip/auth/ha1.js';
import type { DigestAlgorithm } from '../../sip/auth/ha1.js';
import { Headers } from '../../sip/message/headers.js';
import type { SipResponse } from '../../sip/message/types.js';
import type { TrunkRecord } from '../../store/types.js';
import { FakeClock } from '../../util/clock.js';
import { TrunkRegistrations } from './trunk-registrations.js';
import type { RegisterRequest } from './trunk-registrations.js';

function trunk(over: Partial<TrunkRecord> = {}): TrunkRecord {
  return {
    tenantId: 'acme',
    id: 'carrier1',
    peerHost: '127.0.0.1',
    peerPort: 5090,
    transport: 'udp',
    regUsername: '4930123',
    regPassword: 'carrier-pw',
    regExpires: 600,
    outboundPrefix: '0',
    numberFormat: 'e164',
    countryCode: '49',
    defaultCallerId: null,
    ...over,
  };
}

function response(status: number, headers: Array<[string, string]> = []): SipResponse {
  return {
    type: 'response',
    version: 'SIP/2.0',
    status,
    reason: `R${status}`,
    headers: new Headers(headers),
    body: Buffer.alloc(0),
  };
}

/**
 * A carrier's registrar: challenges every REGISTER without valid credentials, checks the digest like a server
 * would, and grants `grant` seconds. `script` overrides the answer to the n-th request.
 */
function registrar(opts: { challenges: string[]; grant?: number; script?: Map<number, SipResponse> }) {
  const seen: RegisterRequest[] = [];
  const verified: DigestAlgorithm[] = [];
  const send = async (o: RegisterRequest): Promise<SipResponse> => {
    seen.push(o);
    const scripted = opts.script?.get(seen.length);
    if (scripted) return scripted;
    const auth = o.headers.find(([n]) => n === 'Authorization')?.[1];
    if (auth) {
      const p = parseAuthValue(auth)!.params;
      const algorithm = p.get('algorithm') as DigestAlgorithm;
      const want = computeDigestResponse({
        algorithm,
        ha1: computeHa1(algorithm, p.get('username')!, p.get('realm')!, 'carrier-pw'),
        nonce: p.get('nonce')!,
        method: 'REGISTER',
        uri: p.get('uri')!,
        ...(p.has('qop') ? { qop: 'auth' as const, nc: p.get('nc')!, cnonce: p.get('cnonce')! } : {}),
      });
      assert.equal(p.get('uri'), o.requestUri);
      if (want === p.get('response')) {
        verified.push(algorithm);
        const exp = o.headers.find(([n]) => n === 'Expires')?.[1];
        return response(200, [['Expires', exp === '0' ? '0' : String(opts.grant ?? 600)]]);
      }
      return response(403);
    }
    return response(
      401,
      opts.challenges.map((c) => ['WWW-Authenticate', c]),
    );
  };
  return { send, seen, verified };
}

const MD5 = 'Digest realm="carrier.example", nonce="n1", qop="auth", algorithm=MD5, opaque="op"';
const SHA = 'Digest realm="carrier.example", nonce="n2", qop="auth,auth-int", algorithm=SHA-256';

function setup(
  r: ReturnType<typeof registrar>,
  trunks: TrunkRecord[],
  extra: Partial<ConstructorParameters<typeof TrunkRegistrations>[0]> = {},
) {
  const clock = new FakeClock();
  const store = { trunks, listAll: async () => store.trunks };
  const regs = new TrunkRegistrations({ store, send: r.send, clock, ...extra });
  return { clock, store, regs };
}

/** Lets timers' async work run: advance the clock, then wait for the REGISTERs it started. */
async function advance(clock: FakeClock, regs: TrunkRegistrations, ms: number): Promise<void> {
  clock.advance(ms);
  await regs.idle();
}

describe('TrunkRegistrations', () => {
  it('registers with SHA-256 when offered, answers qop=auth, and refreshes before expiry', async () => {
    const r = registrar({ challenges: [MD5, SHA] });
    const { clock, regs } = setup(r, [trunk()], {
      contactFor: () => ({ address: '192.0.2.1', port: 5060 }),
    });
    await regs.start();
    await regs.idle();
    assert.deepEqual(r.verified, ['SHA-256']);
    const [first, second] = r.seen;
    assert.equal(first?.requestUri, 'sip:127.0.0.1:5090');
    assert.equal(first?.from, '<sip:4930123@127.0.0.1>');
    assert.equal(first?.to, '<sip:4930123@127.0.0.1>');
    assert.deepEqual(first?.flow, {
      protocol: 'udp',
      remote: { address: '127.0.0.1', port: 5090 },
      local: { address: '', port: 0 },
    });
    assert.deepEqual(first?.headers.slice(0, 2), [
      ['Contact', '<sip:4930123@192.0.2.1:5060;transport=udp>'],
      ['Expires', '600'],
    ]);
    assert.equal(first?.contact, undefined);
    assert.equal(second?.callId, first?.callId);
    assert.equal(second!.cseq, first!.cseq + 1);
    const st = regs.status()[0]!;
    assert.equal(st.state, 'registered');
    assert.equal(st.lastStatus, 200);
    assert.equal(st.expiresAt, clock.now() + 600_000);
    assert.ok(!JSON.stringify(regs.status()).includes('carrier-pw'));

    // 600 s granted → refresh at 510 s (85%), same Call-ID, CSeq still rising.
    await advance(clock, regs, 509_000);
    assert.equal(r.seen.length, 2);
    await advance(clock, regs, 1_000);
    assert.equal(r.seen.length, 4);
    assert.equal(r.seen[2]?.callId, first?.callId);
    assert.equal(r.seen[2]!.cseq, second!.cseq + 1);
    regs.stop();
    assert.equal(clock.pendingTimers(), 0);
  });

  it('MD5 with opaque, and the RFC 2069 form when the challenge has no qop; the UA core Contact without contactFor', async () => {
    const r = registrar({ challenges: [MD5] });
    const { regs } = setup(r, [trunk()]);
    await regs.start();
    await regs.idle();
    assert.deepEqual(r.verified, ['MD5']);
    assert.equal(r.seen[0]?.contact, true);
    assert.match(r.seen[1]!.headers.find(([n]) => n === 'Authorization')![1], /opaque="op"/);
    regs.stop();

    const r2 = registrar({ challenges: ['Digest realm="c", nonce="x"'], grant: 60 });
    const s2 = setup(r2, [trunk({ transport: 'tcp' })]);
    await s2.regs.start();
    await s2.regs.idle();
    assert.deepEqual(r2.verified, ['MD5']);
    assert.equal(r2.seen[0]?.requestUri, 'sip:127.0.0.1:5090;transport=tcp');
    assert.equal(r2.seen[0]?.flow.protocol, 'tcp');
    // 60 s granted → refresh after 30 s (at least 30 s early when there is room).
    assert.equal(s2.regs.status()[0]?.nextAttemptAt, s2.clock.now() + 51_000 - 21_000);
    s2.regs.stop();
  });

  it('a wrong password fails, then retries after retryMs (or Retry-After)', async () => {
    const r = registrar({ challenges: [MD5] });
    const { clock, regs } = setup(r, [trunk({ regPassword: 'wrong' })], { retryMs: 10_000 });
    await regs.start();
    await regs.idle();
    assert.equal(r.seen.length, 2, 'one challenge round, no loop');
    assert.deepEqual(
      { state: regs.status()[0]?.state, status: regs.status()[0]?.lastStatus },
      { state: 'failed', status: 403 },
    );
    await advance(clock, regs, 9_999);
    assert.equal(r.seen.length, 2);
    await advance(clock, regs, 1);
    assert.equal(r.seen.length, 4);
    regs.stop();

    const r2 = registrar({
      challenges: [MD5],
      script: new Map([[1, response(503, [['Retry-After', '120']])]]),
    });
    const s2 = setup(r2, [trunk()]);
    await s2.regs.start();
    await s2.regs.idle();
    assert.equal(s2.regs.status()[0]?.state, 'failed');
    assert.equal(s2.regs.status()[0]?.nextAttemptAt, s2.clock.now() + 120_000);
    await advance(s2.clock, s2.regs, 120_000);
    assert.equal(s2.regs.status()[0]?.state, 'registered');
    s2.regs.stop();
  });

  it('retries a stale nonce once; a second non-stale challenge is a failure', async () => {
    const stale = response(401, [
      ['WWW-Authenticate', 'Digest realm="carrier.example", nonce="n9", qop="auth", stale=true'],
    ]);
    const r = registrar({ challenges: [MD5], script: new Map([[2, stale]]) });
    const { regs } = setup(r, [trunk()]);
    await regs.start();
    await regs.idle();
    assert.equal(r.seen.length, 3);
    assert.equal(regs.status()[0]?.state, 'registered');
    regs.stop();

    const again = response(401, [['WWW-Authenticate', MD5]]);
    const r2 = registrar({ challenges: [MD5], script: new Map([[2, again]]) });
    const s2 = setup(r2, [trunk()]);
    await s2.regs.start();
    await s2.regs.idle();
    assert.equal(r2.seen.length, 2);
    assert.deepEqual([s2.regs.status()[0]?.state, s2.regs.status()[0]?.lastStatus], ['failed', 401]);
    s2.regs.stop();
  });

  it('asks again with Min-Expires after 423', async () => {
    const r = registrar({
      challenges: [MD5],
      script: new Map([[1, response(423, [['Min-Expires', '1800']])]]),
    });
    const { regs } = setup(r, [trunk()]);
    await regs.start();
    await regs.idle();
    assert.equal(r.seen[1]?.headers.find(([n]) => n === 'Expires')?.[1], '1800');
    assert.equal(regs.status()[0]?.state, 'registered');
    regs.stop();
  });

  it('ignores trunks without credentials; reload() de-registers removed trunks and registers new ones', async () => {
    const r = registrar({ challenges: [MD5] });
    const { store, regs } = setup(r, [trunk(), trunk({ id: 'plain', regUsername: null, regPassword: null })]);
    await regs.start();
    await regs.idle();
    assert.deepEqual(
      regs.status().map((s) => s.trunkId),
      ['carrier1'],
    );
    store.trunks = [trunk({ id: 'carrier2', peerPort: 5092 })];
    await regs.reload();
    await regs.idle();
    // Let the fire-and-forget de-registration finish.
    await new Promise((resolve) => setImmediate(resolve));
    const unregister = r.seen.filter((o) => o.headers.some(([n, v]) => n === 'Expires' && v === '0'));
    assert.equal(unregister.length, 2, 'challenged, then authenticated');
    assert.equal(unregister[0]?.flow.remote.port, 5090);
    assert.deepEqual(
      regs.status().map((s) => [s.trunkId, s.state]),
      [['carrier2', 'registered']],
    );
    regs.stop();
  });

  it('stop() clears timers and a late response changes nothing', async () => {
    let release: (r: SipResponse) => void = () => undefined;
    const send = (_o: RegisterRequest) => new Promise<SipResponse>((resolve) => (release = resolve));
    const clock = new FakeClock();
    const regs = new TrunkRegistrations({ store: { listAll: async () => [trunk()] }, send, clock });
    await regs.start();
    assert.equal(regs.status()[0]?.state, 'registering');
    regs.stop();
    release(response(200));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(regs.status(), []);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('resolves a host name peer; an unresolvable one fails and retries', async () => {
    const r = registrar({ challenges: [MD5] });
    let ok = false;
    const { clock, regs } = setup(r, [trunk({ peerHost: 'sip.carrier.example' })], {
      resolve: async () => {
        if (!ok) throw new Error('ENOTFOUND');
        return '192.0.2.77';
      },
    });
    await regs.start();
    await regs.idle();
    assert.deepEqual([regs.status()[0]?.state, regs.status()[0]?.lastStatus], ['failed', 503]);
    ok = true;
    await advance(clock, regs, 30_000);
    assert.equal(regs.status()[0]?.state, 'registered');
    assert.equal(r.seen[0]?.flow.remote.address, '192.0.2.77');
    assert.equal(r.seen[0]?.requestUri, 'sip:sip.carrier.example:5090');
    regs.stop();
  });
});
