import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestPhone } from '../support/test-phone.js';
import { runSipp } from './support/sipp.js';
import type { TestServer } from './support/server.js';
import {
  allPhones,
  clientPort,
  DOMAIN,
  executiveSuite,
  heardAtEnd,
  rang,
  recordEvents,
  TONES,
  type ExecPhones,
} from './support/executive.js';

/**
 * Executive filtering on real phones (baresip): who rings, what they see, rollover, hand-over to the executive
 * with audio both ways; the INVITE headers (Diversion, History-Info) on a sipp desk; internal/external filtering
 * with a sipp carrier on the trunk.
 */
const CARRIER_IP = '127.0.0.9';
const CARRIER_PORT = clientPort(400);

describe('executive and assistants: filtering (baresip, sipp)', () => {
  let t: TestServer;
  let p: ExecPhones;
  executiveSuite({}, (s) => ({ t, p } = s));

  it('filtering all: the assistants ring with "call for", the executive only splashes (lamp dark); a blind hand-over rings the executive despite the filter; audio both ways', async () => {
    const rec = recordEvents(t);
    const [i1, i2, splash] = [
      p.a1.waitFor('CALL_INCOMING'),
      p.a2.waitFor('CALL_INCOMING'),
      p.exec.waitFor('CALL_INCOMING'),
    ];
    assert.equal((await p.caller.command('dial', `sip:300@${DOMAIN}`)).ok, true);
    const [e1, e2] = await Promise.all([i1, i2, splash]);
    assert.equal(e1.peerdisplayname, 'Cem Aydin für Karin Heiden', 'German workplace');
    assert.equal(e2.peerdisplayname, 'Cem Aydin for Karin Heiden', 'English workplace');
    assert.match(e1.peeruri ?? '', /sip:310@/, 'the number stays the caller');
    await p.exec.waitFor('CALL_CLOSED', 5000); // the splash is over while the assistants still ring
    assert.equal(rang(p.a1) || rang(p.a2), false);
    const a2Closed = p.a2.waitFor('CALL_CLOSED');
    const cEst = p.caller.waitFor('CALL_ESTABLISHED');
    await p.a1.command('accept');
    await Promise.all([cEst, a2Closed]);
    await sleep(1200);
    const answered = rec.events.find((e) => e.type === 'call.answered');
    assert.equal(answered?.type === 'call.answered' && answered.for?.number, '300', 'call for 300');
    assert.equal(answered?.type === 'call.answered' && answered.callee.number, '301');
    const lamps = rec.events.flatMap((e) =>
      e.type === 'presence.changed' ? [`${e.workplace}:${e.status}`] : [],
    );
    assert.ok(lamps.includes('301:ringing'), `assistant's lamp rang: ${lamps.join(' ')}`);
    assert.ok(!lamps.includes('300:ringing'), `executive's lamp stayed dark: ${lamps.join(' ')}`);

    const eIn = p.exec.waitFor('CALL_INCOMING');
    const a1Closed = p.a1.waitFor('CALL_CLOSED');
    assert.equal((await p.a1.command('transfer', `sip:300@${DOMAIN}`)).ok, true);
    await eIn;
    const eEst = p.exec.waitFor('CALL_ESTABLISHED');
    await p.exec.command('accept');
    await Promise.all([eEst, a1Closed]);
    await sleep(2500);
    const closed = [p.caller.waitFor('CALL_CLOSED'), p.exec.waitFor('CALL_CLOSED')];
    await p.caller.command('hangup');
    await Promise.all(closed);
    rec.stop();
    await sleep(300);
    assert.ok(heardAtEnd(p.caller, TONES.exec) > 0.5, 'the caller hears the executive');
    assert.ok(heardAtEnd(p.exec, TONES.caller) > 0.5, 'the executive hears the caller');
  });

  it("rollover: nobody of the assistants answers, then the executive's own phone rings (lamp lit) and takes the call", async () => {
    const rec = recordEvents(t);
    const rings = [
      p.a1.waitFor('CALL_INCOMING'),
      p.a2.waitFor('CALL_INCOMING'),
      p.exec.waitFor('CALL_INCOMING'),
    ];
    await p.caller.command('dial', `sip:300@${DOMAIN}`);
    await Promise.all(rings);
    await p.exec.waitFor('CALL_CLOSED', 5000);
    const rolled = p.exec.waitFor('CALL_INCOMING', 8000);
    await Promise.all([p.a1.waitFor('CALL_CLOSED', 8000), p.a2.waitFor('CALL_CLOSED', 8000)]);
    await rolled;
    const est = p.caller.waitFor('CALL_ESTABLISHED');
    await p.exec.command('accept');
    await est;
    await sleep(2000);
    const closed = [p.caller.waitFor('CALL_CLOSED'), p.exec.waitFor('CALL_CLOSED')];
    await p.exec.command('hangup');
    await Promise.all(closed);
    rec.stop();
    const lamps = rec.events.flatMap((e) =>
      e.type === 'presence.changed' ? [`${e.workplace}:${e.status}`] : [],
    );
    assert.ok(lamps.includes('300:ringing'), `the executive's lamp rings on rollover: ${lamps.join(' ')}`);
    await sleep(300);
    assert.ok(heardAtEnd(p.caller, TONES.exec) > 0.5, 'the caller hears the executive');
    assert.ok(heardAtEnd(p.exec, TONES.caller) > 0.5, 'the executive hears the caller');
  });

  it('sequential alerting: the first assistant rings alone, after nextAssistantSeconds the second takes over', async () => {
    const first = p.a1.waitFor('CALL_INCOMING');
    await p.caller.command('dial', `sip:320@${DOMAIN}`);
    await first;
    await sleep(1500);
    assert.equal(rang(p.a2), false, 'the second assistant waits for its turn');
    const second = p.a2.waitFor('CALL_INCOMING', 5000);
    await p.a1.waitFor('CALL_CLOSED', 5000);
    await second;
    const est = p.caller.waitFor('CALL_ESTABLISHED');
    await p.a2.command('accept');
    await est;
    await sleep(1500);
    const closed = [p.caller.waitFor('CALL_CLOSED'), p.a2.waitFor('CALL_CLOSED')];
    await p.caller.command('hangup');
    await Promise.all(closed);
    assert.ok(heardAtEnd(p.a2, TONES.caller) > 0.5, 'the assistant hears the caller');
    assert.ok(heardAtEnd(p.caller, TONES.a2) > 0.5, 'the caller hears the assistant');
    assert.equal(rang(p.exec), false);
  });

  it("divert: the assistant's divert target rings instead (Diversion names the executive), the assistant does not", async () => {
    const rec = recordEvents(t);
    const inc = p.a2.waitFor('CALL_INCOMING');
    await p.caller.command('dial', `sip:330@${DOMAIN}`);
    await inc;
    const est = p.caller.waitFor('CALL_ESTABLISHED');
    await p.a2.command('accept');
    await est;
    const closed = [p.caller.waitFor('CALL_CLOSED'), p.a2.waitFor('CALL_CLOSED')];
    await p.caller.command('hangup');
    await Promise.all(closed);
    rec.stop();
    assert.equal(rang(p.a1), false, 'the diverting assistant is not rung');
    const answered = rec.events.find((e) => e.type === 'call.answered');
    assert.deepEqual(answered?.type === 'call.answered' && answered.diversions?.map((d) => d.from.number), [
      '330',
    ]);
  });

  it('the INVITE to an assistant carries "call for" in From, Diversion and History-Info naming the executive (sipp desk)', async () => {
    const port = clientPort(300);
    const reg = await runSipp({
      scenario: 'register-auth.xml',
      target: t.udp,
      localPort: port,
      keys: { user: '304', domain: DOMAIN, expires: 300 },
      extra: ['-au', '304', '-ap', 'acme-Vier-Pa55word'],
    });
    assert.equal(reg.code, 0, reg.stderr);
    const desk = runSipp({
      scenario: 'device-answer.xml',
      target: t.udp,
      localPort: port,
      keys: { user: '304' },
      timeoutS: 10,
      trace: true,
    });
    await sleep(300);
    const est = p.caller.waitFor('CALL_ESTABLISHED');
    await p.caller.command('dial', `sip:350@${DOMAIN}`);
    await est;
    await sleep(500);
    const closed = p.caller.waitFor('CALL_CLOSED');
    await p.caller.command('hangup');
    await closed;
    const d = await desk;
    assert.equal(d.code, 0, d.stderr);
    const invite = d.messages.slice(d.messages.indexOf('INVITE sip:'));
    assert.match(invite, /From: "Cem Aydin für Hanna Kopf" <sip:310@acme\.zentrale\.test>/);
    assert.match(invite, /Diversion: <sip:350@acme\.zentrale\.test>;reason=unconditional;counter=1/);
    assert.match(
      invite,
      /History-Info: <sip:350@acme\.zentrale\.test>;index=1, <sip:304@acme\.zentrale\.test;cause=302>;index=1\.1;mp=1/,
    );
    await runSipp({
      scenario: 'unregister-all.xml',
      target: t.udp,
      localPort: port,
      keys: { user: '304', domain: DOMAIN, expires: 0 },
      extra: ['-au', '304', '-ap', 'acme-Vier-Pa55word'],
    });
  });

  it('filtering external: a trunk call to 340 rings its assistant; an internal call does not (and 320, internal only, lets the trunk call through)', async () => {
    const inc = p.a2.waitFor('CALL_INCOMING');
    const carrier = runSipp({
      scenario: 'trunk-carrier-uac.xml',
      target: t.udp,
      localIp: CARRIER_IP,
      localPort: CARRIER_PORT,
      keys: { did: '+4930555340' },
    });
    const e = await inc;
    assert.equal(e.peerdisplayname, '+493012345678 for Extra Extern');
    const closed = p.a2.waitFor('CALL_CLOSED');
    await p.a2.command('accept');
    const c = await carrier;
    assert.equal(c.code, 0, c.stdout + c.stderr);
    await closed;

    // Internal call to 340: not filtered; 340 has no phone of its own.
    const internal = p.caller.waitFor('CALL_CLOSED');
    await p.caller.command('dial', `sip:340@${DOMAIN}`);
    assert.match((await internal).param ?? '', /480/);
    // Trunk call to 320 (filters internal calls only): not filtered either.
    const through = await runSipp({
      scenario: 'trunk-carrier-uac.xml',
      target: t.udp,
      localIp: CARRIER_IP,
      localPort: CARRIER_PORT,
      keys: { did: '+4930555320' },
      timeoutS: 5,
      trace: true,
    });
    assert.match(through.messages, /SIP\/2\.0 480 /);
    assert.equal(rang(p.a1) || rang(p.a2), false);
  });
  it("attended hand-over (REFER with Replaces) by an assistant's phone: the consultation reaches the executive despite the filter; audio both ways", async () => {
    // baresip 1.0 has no attended transfer: the assistant's second phone (302) is the scripted one.
    const x = await TestPhone.open({
      user: '302',
      password: 'acme-Ott-Pa55word',
      domain: DOMAIN,
      server: t.udp,
    });
    try {
      assert.equal((await x.register()).status, 200);
      const withCaller = x.nextAnswered();
      await p.caller.command('dial', `sip:300@${DOMAIN}`);
      const callerLeg = await withCaller;
      assert.match(x.invites[0]?.from ?? '', /^"Cem Aydin for Karin Heiden" <sip:310@/);
      await sleep(2500); // the other assistants' and the splash's branches are cancelled
      for (const ph of allPhones(p)) ph.clearEvents();
      const eIn = p.exec.waitFor('CALL_INCOMING');
      const consult = x.dial('300');
      await eIn;
      await p.exec.command('accept');
      const r = await consult;
      assert.equal(r.status, 200, 'the consultation call reaches the executive');
      assert.equal(rang(p.a1), false, 'a call from an assistant is never filtered');
      const refer = await x.attendedTransfer(callerLeg, r.dialog!, '300');
      assert.equal(refer.status, 202);
      await sleep(2500);
      const closed = [p.caller.waitFor('CALL_CLOSED'), p.exec.waitFor('CALL_CLOSED')];
      await p.caller.command('hangup');
      await Promise.all(closed);
      await sleep(300);
      assert.ok(heardAtEnd(p.caller, TONES.exec) > 0.5, 'the caller hears the executive');
      assert.ok(heardAtEnd(p.exec, TONES.caller) > 0.5, 'the executive hears the caller');
    } finally {
      await x.close();
    }
  });
});
