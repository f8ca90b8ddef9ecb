import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BaresipPhone } from './support/baresip.js';
import { runSipp } from './support/sipp.js';
import type { TestServer } from './support/server.js';
import {
  clientPort,
  codeUri,
  DOMAIN,
  executiveSuite,
  heardAtEnd,
  rang,
  TONES,
  type ExecPhones,
} from './support/executive.js';

/**
 * The executive–assistant codes on real phones (baresip): #61/#62 filter, #65/#66 opt in/out (kept over a
 * restart), #63 push answered and recalled, #64 call as; refusals for non-assistants and other tenants (sipp).
 */
const SIP_PORT = clientPort(480);

/** Dials a code and expects the confirmation: answered, then the server hangs up. */
async function code(phone: BaresipPhone, dialled: string): Promise<void> {
  const est = phone.waitFor('CALL_ESTABLISHED');
  const closed = phone.waitFor('CALL_CLOSED', 8000);
  assert.equal((await phone.command('dial', codeUri(dialled))).ok, true);
  await est;
  await closed;
}

/** The caller dials `ext` and hangs up once `who` rings; returns after both sides closed. */
async function ringsAt(p: ExecPhones, ext: string, who: BaresipPhone): Promise<void> {
  const inc = who.waitFor('CALL_INCOMING');
  await p.caller.command('dial', `sip:${ext}@${DOMAIN}`);
  await inc;
  await sleep(700);
  const closed = [p.caller.waitFor('CALL_CLOSED'), who.waitFor('CALL_CLOSED')];
  await p.caller.command('hangup');
  await Promise.all(closed);
}

/** A sipp desk of tenant `domain` dials `dialled` and must hear the refusal (183 with SDP), then get 403. */
async function refused(t: TestServer, user: string, password: string, domain: string, dialled: string) {
  const r = await runSipp({
    scenario: 'device-call-403-announced.xml',
    target: t.udp,
    keys: { user, domain, dial: dialled.replace(/#/g, '%23') },
    extra: ['-au', user, '-ap', password],
    timeoutS: 8,
  });
  assert.equal(r.code, 0, `${dialled} from ${user}@${domain}: ${r.stderr}`);
}

describe('executive and assistants: codes (baresip, sipp)', () => {
  let t: TestServer;
  let p: ExecPhones;
  executiveSuite(
    { sip: `udp:127.0.0.1:${SIP_PORT},tcp:127.0.0.1:0,ws:127.0.0.1:0`, phoneOffset: 150 },
    (s) => ({ t, p } = s),
  );

  it('#62 (executive) and #66 (assistant) take effect and survive a restart; #65 and #61 undo them', async () => {
    await code(p.exec, '#62');
    await code(p.a1, '#66');
    await t.restart({ sip: `udp:127.0.0.1:${SIP_PORT},tcp:127.0.0.1:0,ws:127.0.0.1:0` });
    await sleep(300);
    // Filter off: the executive's phone rings at once, no assistant.
    await ringsAt(p, '300', p.exec);
    assert.equal(rang(p.a1) || rang(p.a2), false, 'filter off after the restart');
    // 320 still filters; its first assistant opted out, so the second rings first.
    await ringsAt(p, '320', p.a2);
    assert.equal(rang(p.a1), false, 'opted out after the restart');
    await code(p.a1, '#65300');
    await code(p.a1, '#61300'); // an opted-in assistant may switch its executive's filter
    p.exec.clearEvents();
    await ringsAt(p, '300', p.a1);
    const s = await t.server.store.executives.state('acme');
    assert.deepEqual(s.filters, [{ executive: '300', on: true }]);
    assert.deepEqual(s.assistants.map((a) => `${a.executive}/${a.assistant}:${String(a.optedIn)}`).sort(), [
      '300/301:true',
      '320/301:false',
      '330/301:false',
    ]);
    await code(p.a1, '#65'); // alone: every executive it assists
    p.exec.clearEvents();
  });

  it('#63 push: the held caller rings the executive (filter bypassed) and talks to it', async () => {
    const inc = p.a1.waitFor('CALL_INCOMING');
    await p.caller.command('dial', `sip:300@${DOMAIN}`);
    await inc;
    const est = p.caller.waitFor('CALL_ESTABLISHED');
    await p.a1.command('accept');
    await est;
    await sleep(500);
    await p.a1.command('hold');
    await sleep(500);
    p.exec.clearEvents();
    const eIn = p.exec.waitFor('CALL_INCOMING', 8000);
    await p.a1.command('dial', codeUri('#63300'));
    await eIn;
    const eEst = p.exec.waitFor('CALL_ESTABLISHED');
    await p.exec.command('accept');
    await eEst;
    await sleep(2500);
    const closed = [p.caller.waitFor('CALL_CLOSED'), p.exec.waitFor('CALL_CLOSED')];
    await p.exec.command('hangup');
    await Promise.all(closed);
    await sleep(300);
    assert.ok(heardAtEnd(p.caller, TONES.exec) > 0.5, 'the caller hears the executive');
    assert.ok(heardAtEnd(p.exec, TONES.caller) > 0.5, 'the executive hears the caller');
  });

  it('#63 push recalled: the executive does not answer within pushRecallSeconds, the call rings the assistant again', async () => {
    const inc = p.a1.waitFor('CALL_INCOMING');
    await p.caller.command('dial', `sip:300@${DOMAIN}`);
    await inc;
    const est = p.caller.waitFor('CALL_ESTABLISHED');
    await p.a1.command('accept');
    await est;
    await sleep(500);
    await p.a1.command('hold');
    await sleep(500);
    p.exec.clearEvents();
    p.a1.clearEvents();
    const eIn = p.exec.waitFor('CALL_INCOMING', 8000);
    await p.a1.command('dial', codeUri('#63300'));
    await eIn;
    const back = p.a1.waitFor('CALL_INCOMING', 10_000);
    await p.exec.waitFor('CALL_CLOSED', 10_000);
    await back;
    const aEst = p.a1.waitFor('CALL_ESTABLISHED');
    await p.a1.command('accept');
    await aEst;
    await sleep(2500);
    const closed = [p.caller.waitFor('CALL_CLOSED'), p.a1.waitFor('CALL_CLOSED')];
    await p.caller.command('hangup');
    await Promise.all(closed);
    await sleep(300);
    assert.ok(heardAtEnd(p.caller, TONES.a1) > 0.5, 'the caller hears the assistant again');
    assert.ok(heardAtEnd(p.a1, TONES.caller) > 0.5, 'the assistant hears the caller');
  });

  it("#64 call as: the callee sees the executive's identity; audio both ways; *64 works the same", async () => {
    const inc = p.caller.waitFor('CALL_INCOMING');
    await p.a1.command('dial', codeUri('#64300*310'));
    const e = await inc;
    assert.match(e.peeruri ?? '', /^sip:300@acme\.zentrale\.test/);
    assert.equal(e.peerdisplayname, 'Karin Heiden');
    const est = p.a1.waitFor('CALL_ESTABLISHED');
    await p.caller.command('accept');
    await est;
    await sleep(2000);
    const closed = [p.caller.waitFor('CALL_CLOSED'), p.a1.waitFor('CALL_CLOSED')];
    await p.a1.command('hangup');
    await Promise.all(closed);
    await sleep(300);
    assert.ok(heardAtEnd(p.caller, TONES.a1) > 0.5, 'the callee hears the assistant');
    assert.ok(heardAtEnd(p.a1, TONES.caller) > 0.5, 'the assistant hears the callee');

    const inc2 = p.caller.waitFor('CALL_INCOMING');
    await p.a2.command('dial', `sip:*64300*310@${DOMAIN}`);
    assert.match((await inc2).peeruri ?? '', /^sip:300@/);
    const closed2 = [p.caller.waitFor('CALL_CLOSED'), p.a2.waitFor('CALL_CLOSED')];
    await p.caller.command('hangup');
    await Promise.all(closed2);
  });

  it('refusals: a non-assistant may not call as, push or switch; no other tenant reaches an executive of acme', async () => {
    const nina = ['311', 'acme-Nicht-Pa55word', DOMAIN] as const;
    await refused(t, ...nina, '#64300*310');
    await refused(t, ...nina, '#63300');
    await refused(t, ...nina, '#61300');
    await refused(t, ...nina, '#65300');
    const uwe = ['301', 'other-Hartmann-Pa55word', 'other.zentrale.test'] as const;
    for (const d of ['#64300*310', '#63300', '#63', '#61300', '#62', '#65300', '#66'])
      await refused(t, ...uwe, d);
    assert.equal(rang(p.caller) || rang(p.exec), false);
    assert.deepEqual((await t.server.store.executives.state('other')).filters, []);
  });
});
