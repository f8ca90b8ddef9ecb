import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSipp, receivedResponses } from './support/sipp.js';
import {
  assertBaseline,
  DEMO_DOMAIN,
  DEMO_PASSWORDS,
  startTestServer,
  type TestServer,
} from './support/server.js';
import { TestPhone } from '../support/test-phone.js';

const reg = (
  t: TestServer,
  o: {
    user?: string;
    authUser?: string;
    password?: string;
    expires?: number;
    transport?: 'u1' | 't1';
    scenario?: string;
    localIp?: string;
    localPort?: number;
    calls?: number;
    trace?: boolean;
    timeoutS?: number;
  } = {},
) =>
  runSipp({
    scenario: o.scenario ?? 'register-auth.xml',
    target: o.transport === 't1' ? t.tcp : t.udp,
    transport: o.transport ?? 'u1',
    keys: { user: o.user ?? '100', domain: DEMO_DOMAIN, expires: o.expires ?? 300 },
    extra: ['-au', o.authUser ?? o.user ?? '100', '-ap', o.password ?? DEMO_PASSWORDS['100']!],
    ...(o.localIp ? { localIp: o.localIp } : {}),
    ...(o.localPort ? { localPort: o.localPort } : {}),
    ...(o.calls ? { calls: o.calls } : {}),
    ...(o.trace ? { trace: true } : {}),
    timeoutS: o.timeoutS ?? 10,
  });

describe('registrar with real sipp peers', () => {
  let t: TestServer;
  before(async () => {
    // Both challenges offered, MD5 first (sipp 3.6 answers only the first); the WebSocket phone picks SHA-256.
    t = await startTestServer({ args: ['--digest-algorithms', 'MD5,SHA-256'] });
  });
  after(async () => {
    await t.stop();
  });
  afterEach(async () => {
    await assertBaseline(t);
  });

  it('registers with digest auth over UDP and over TCP, and binds the flow', async () => {
    const udp = await reg(t);
    assert.equal(udp.code, 0, udp.stdout + udp.stderr);
    const tcp = await reg(t, { transport: 't1', user: '101', password: DEMO_PASSWORDS['101']! });
    assert.equal(tcp.code, 0, tcp.stdout + tcp.stderr);
    const [tenantId] = ['demo'];
    const b100 = t.server.location.lookup(tenantId, '100');
    const b101 = t.server.location.lookup(tenantId, '101');
    assert.equal(b100.length, 1);
    assert.equal(b100[0]!.flowProtocol, 'udp');
    assert.equal(b101[0]!.flowProtocol, 'tcp');
    assert.ok(b100[0]!.expiresAt > Date.now() + 290_000);
  });

  it('answers OPTIONS', async () => {
    const r = await runSipp({ scenario: 'options.xml', target: t.udp, keys: { domain: DEMO_DOMAIN } });
    assert.equal(r.code, 0, r.stdout);
  });

  it('registers a WebSocket client (RFC 7118) with SHA-256 and with MD5', async () => {
    const ws = (user: string, algorithm: 'SHA-256' | 'MD5', password = DEMO_PASSWORDS[user]!) =>
      TestPhone.open({ user, password, domain: DEMO_DOMAIN, server: t.ws, transport: 'ws', algorithm });
    const phones = await Promise.all([
      ws('100', 'SHA-256'),
      ws('101', 'MD5'),
      ws('101', 'SHA-256', 'not-the-password-1'),
    ]);
    try {
      const [sha, md5, wrong] = phones;
      assert.equal((await sha!.register()).status, 200);
      const b = t.server.location.lookup('demo', '100').find((x) => x.flowProtocol === 'ws');
      assert.ok(b, 'a ws binding');
      assert.ok(b.flowConnectionId, 'bound to its connection');
      assert.equal((await md5!.register()).status, 200);
      assert.equal((await wrong!.register()).status, 403);
    } finally {
      await Promise.all(phones.map((p) => p.close()));
    }
  });

  it('refuses a wrong password with 403', async () => {
    const r = await reg(t, { scenario: 'register-refused.xml', password: 'wrong-password-123' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('answers an unknown user exactly like a wrong password, also when To and digest user differ', async () => {
    const runs = {
      wrongPassword: await reg(t, {
        scenario: 'register-refused.xml',
        password: 'wrong-password-123',
        trace: true,
      }),
      unknownUser: await reg(t, {
        scenario: 'register-refused.xml',
        user: '999',
        password: 'wrong-password-123',
        trace: true,
      }),
      // 101's own correct password, but To names 100: not allowed to register someone else.
      otherUser: await reg(t, {
        scenario: 'register-refused.xml',
        user: '100',
        authUser: '101',
        password: DEMO_PASSWORDS['101']!,
        trace: true,
      }),
      unknownDomain: await runSipp({
        scenario: 'register-refused.xml',
        target: t.udp,
        keys: { user: '100', domain: 'nowhere.zentrale.test', expires: 300 },
        extra: ['-au', '100', '-ap', DEMO_PASSWORDS['100']!],
        trace: true,
      }),
    };
    const shapes: Record<string, string> = {};
    for (const [name, run] of Object.entries(runs)) {
      assert.equal(run.code, 0, `${name}: ${run.stdout}${run.stderr}`);
      const responses = receivedResponses(run.messages);
      assert.deepEqual(
        responses.map((r) => r.status),
        [401, 403],
        name,
      );
      shapes[name] = responses.map((r) => shape(r.text)).join('\n---\n');
    }
    // Same statuses, same header names in the same order, same parameter names: nothing tells them apart.
    assert.equal(shapes.unknownUser, shapes.wrongPassword);
    assert.equal(shapes.otherUser, shapes.wrongPassword);
    assert.equal(shapes.unknownDomain!.replaceAll('nowhere', 'demo'), shapes.wrongPassword);
    // Each failure is one structured log line with source, tenant, user and reason; no secrets.
    const failures = t.logs.filter((l) => l.event === 'auth.failure');
    assert.ok(failures.length >= 4);
    for (const f of failures) {
      assert.equal(typeof f.source, 'string');
      assert.equal(typeof f.tenant, 'string');
      assert.equal(typeof f.user, 'string');
      assert.equal(typeof f.reason, 'string');
    }
    const all = JSON.stringify(t.logs);
    assert.ok(!all.includes('wrong-password-123'), 'no password in the logs');
    assert.ok(!/Digest username|response=/.test(all), 'no Authorization header in the logs');
  });

  it('un-registers with Expires: 0 and with Contact: *', async () => {
    // A fixed local port, so both runs bind and remove the same contact.
    assert.equal((await reg(t, { localPort: 25061 })).code, 0);
    const contact = 'sip:100@127.0.0.1:25061;transport=UDP';
    const has = () => t.server.location.lookup('demo', '100').some((b) => b.contact === contact);
    assert.equal(has(), true);
    const r = await reg(t, { expires: 0, localPort: 25061 });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(has(), false);
    // The store follows memory behind the REGISTER (write-behind): wait for the round.
    await t.server.location.flush();
    assert.equal(
      (await t.server.store.registrations.list('demo', '100')).some((b) => b.contact === contact),
      false,
    );
    // Two more bindings (UDP and TCP), then Contact: * removes every binding of the AOR.
    assert.equal((await reg(t)).code, 0);
    assert.equal((await reg(t, { transport: 't1' })).code, 0);
    assert.equal(t.server.location.lookup('demo', '100').length >= 2, true);
    const all = await reg(t, { scenario: 'unregister-all.xml' });
    assert.equal(all.code, 0, all.stdout + all.stderr);
    assert.equal(t.server.location.lookup('demo', '100').length, 0);
    await t.server.location.flush();
    assert.equal((await t.server.store.registrations.list('demo', '100')).length, 0);
  });

  it('absorbs a retransmitted REGISTER in the transaction (not processed twice)', async () => {
    const r = await reg(t, { scenario: 'register-retransmit.xml' });
    // Were the copy processed again, its nonce count would be a replay and the answer 403, not 200.
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(t.logs.filter((l) => l.reason === 'replay').length, 0);
  });
});

describe('registration lifetime', () => {
  it('expires bindings on time, in memory and in the store', async () => {
    const t = await startTestServer({ args: ['--min-expires', '1'] });
    try {
      assert.equal((await reg(t, { expires: 2 })).code, 0);
      assert.equal(t.server.location.lookup('demo', '100').length, 1);
      await sleep(3500);
      assert.equal(t.server.location.lookup('demo', '100').length, 0);
      assert.equal((await t.server.store.registrations.list('demo', '100')).length, 0);
      await assertBaseline(t);
    } finally {
      await t.stop();
    }
  });

  it('answers 423 with Min-Expires for a too-brief interval', async () => {
    const t = await startTestServer({ args: ['--min-expires', '120'] });
    try {
      const r = await runSipp({
        scenario: 'register-too-brief.xml',
        target: t.udp,
        keys: { user: '100', domain: DEMO_DOMAIN, expires: 30 },
        extra: ['-au', '100', '-ap', DEMO_PASSWORDS['100']!],
        trace: true,
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const statuses = receivedResponses(r.messages);
      assert.deepEqual(
        statuses.map((x) => x.status),
        [401, 423],
      );
      assert.match(statuses[1]!.text, /^Min-Expires: 120$/m);
    } finally {
      await t.stop();
    }
  });

  it('keeps registrations across a restart of the server', async () => {
    const t = await startTestServer();
    try {
      assert.equal((await reg(t)).code, 0);
      assert.equal(
        (await reg(t, { transport: 't1', user: '101', password: DEMO_PASSWORDS['101']! })).code,
        0,
      );
      const before = t.server.location.lookup('demo', '100');
      await t.restart();
      const after = t.server.location.lookup('demo', '100');
      assert.equal(after.length, 1);
      assert.equal(after[0]!.contact, before[0]!.contact);
      assert.equal(after[0]!.expiresAt, before[0]!.expiresAt);
      assert.equal(t.server.location.lookup('demo', '101').length, 1);
    } finally {
      await t.stop();
    }
  });
});

describe('brute-force throttling', () => {
  it('bans a guessing source while a legitimate device keeps registering', async () => {
    const t = await startTestServer({ args: ['--auth-fail-threshold', '3', '--auth-ban-seconds', '60'] });
    try {
      // 127.0.0.2 guesses 101's password: three wrong guesses get 403, then the source hears nothing.
      const guesses = await reg(t, {
        scenario: 'register-refused.xml',
        user: '101',
        password: 'guess-password-1',
        localIp: '127.0.0.2',
        calls: 6,
        timeoutS: 6,
      });
      assert.notEqual(guesses.code, 0, 'later guesses are not answered');
      const failures = t.logs.filter((l) => l.event === 'auth.failure' && l.source === '127.0.0.2');
      assert.equal(failures.length, 3, 'three failures counted, then banned before verification');
      assert.ok(t.logs.some((l) => l.event === 'auth.ban' && l.source === '127.0.0.2'));
      // Even the right password from the banned source for that user is not answered now.
      const banned = await reg(t, {
        user: '101',
        password: DEMO_PASSWORDS['101']!,
        localIp: '127.0.0.2',
        timeoutS: 3,
      });
      assert.notEqual(banned.code, 0);
      // Meanwhile the real phones (another source) register fine, 101 included.
      assert.equal((await reg(t, { user: '101', password: DEMO_PASSWORDS['101']! })).code, 0);
      assert.equal((await reg(t)).code, 0);
    } finally {
      await t.stop();
    }
  });
});

/** A response reduced to what may legitimately differ in form only: values of tags, nonces, ids removed. */
function shape(text: string): string {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [name, ...rest] = l.split(':');
      if (/^SIP\/2\.0/.test(l)) return l;
      const v = rest.join(':');
      // Keep parameter names and fixed values, blank out the variable ones.
      return `${name}:${v
        .replace(/(tag|branch|nonce|opaque|received|rport)=("[^"]*"|[^;,\s]*)/g, '$1=*')
        .replace(/\d+-\d+@[\d.]+/g, '*')
        .replace(/<sip:[^>]*>/g, '<*>')}`;
    })
    .join('\n');
}
