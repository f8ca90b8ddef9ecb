import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { XMLParser } from 'fast-xml-parser';
import { TestPhone, type ReceivedNotify } from '../support/test-phone.js';
import { runSipp, type SippRun } from './support/sipp.js';
import { assertBaseline, startTestServer, type TestServer } from './support/server.js';

/** BLF end to end: a scripted BLF key subscribes, sipp phones make a real call to the watched workplace. */
const FIXTURE = fileURLToPath(new URL('./fixtures/blf.yaml', import.meta.url));
const DOMAIN = 'acme.zentrale.test';
const DESK_A = { user: 'desk-a', password: 'acme-DeskA-Pa55word', port: 0 };
const CALLER = { user: '300', password: 'acme-Caller-Pa55word' };
const WATCH = { user: 'watch-100', password: 'acme-Watch-Pa55word', domain: DOMAIN };

const ok = (r: SippRun, who: string) => assert.equal(r.code, 0, `${who}:\n${r.stderr}`);

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) => name === 'dialog' || name === 'resource',
});

interface Dlg {
  '@id': string;
  '@direction': string;
  '@call-id'?: string;
  state: string | { '#text': string };
  local: { identity: string | { '#text': string; '@display'?: string } };
  remote: { identity: string | { '#text': string; '@display'?: string } };
}
interface Info {
  '@xmlns': string;
  '@version': string;
  '@state': string;
  '@entity': string;
  dialog?: Dlg[];
}
function dialogInfo(body: string): Info {
  const doc = xml.parse(body) as { 'dialog-info'?: Info };
  assert.ok(doc['dialog-info'], `not a dialog-info document:\n${body}`);
  return doc['dialog-info'];
}
const text = (v: string | { '#text': string }) => (typeof v === 'string' ? v : v['#text']);
/** The states of the dialogs a NOTIFY reports, comma-separated. */
const dialogStates = (n: ReceivedNotify) =>
  dialogInfo(n.body)
    .dialog!.map((d) => text(d.state))
    .join(',');

/** The parts of a multipart/related body (RFC 2046), by Content-Type. */
function parts(n: ReceivedNotify): Array<{ type: string; cid: string; body: string }> {
  const boundary = /boundary="([^"]+)"/.exec(n.contentType)?.[1];
  assert.ok(boundary, n.contentType);
  return n.body
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((p) => {
      const [head, ...rest] = p.replace(/^\r\n/, '').split('\r\n\r\n');
      return {
        type: /Content-Type: ([^\r\n]+)/.exec(head!)?.[1] ?? '',
        cid: /Content-ID: <([^>]+)>/.exec(head!)?.[1] ?? '',
        body: rest.join('\r\n\r\n').replace(/\r\n$/, ''),
      };
    });
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function register(t: TestServer, d: { user: string; password: string; port: number }): Promise<void> {
  const reg = await runSipp({
    scenario: 'register-auth.xml',
    target: t.udp,
    localPort: d.port,
    keys: { user: d.user, domain: DOMAIN, expires: 300 },
    extra: ['-au', d.user, '-ap', d.password],
  });
  assert.equal(reg.code, 0, reg.stdout + reg.stderr);
}

/** A real call 300 → 201: desk-a (sipp) rings, answers, the caller hangs up after 500 ms. */
async function callDeskA(t: TestServer): Promise<void> {
  // A free port per call (registered contact and answering sipp must share it); a fixed one may be taken by
  // another test run on this shared machine.
  DESK_A.port = await freeUdpPort();
  await register(t, DESK_A);
  const desk = runSipp({
    scenario: 'device-answer.xml',
    target: t.udp,
    localPort: DESK_A.port,
    keys: { user: DESK_A.user },
    timeoutS: 10,
  });
  await sleep(200);
  const caller = await runSipp({
    scenario: 'device-call.xml',
    target: t.udp,
    keys: { user: CALLER.user, domain: DOMAIN, dial: '201' },
    extra: ['-au', CALLER.user, '-ap', CALLER.password],
    timeoutS: 10,
  });
  ok(caller, 'caller');
  ok(await desk, 'desk-a');
  await runSipp({
    scenario: 'unregister-all.xml',
    target: t.udp,
    localPort: DESK_A.port,
    keys: { user: DESK_A.user, domain: DOMAIN, expires: 0 },
    extra: ['-au', DESK_A.user, '-ap', DESK_A.password],
  });
}

describe('BLF (RFC 6665 / 4235 / 4662) against a scripted BLF key and sipp phones', () => {
  let t: TestServer;
  let w: TestPhone | undefined;
  before(async () => {
    t = await startTestServer({ args: ['--provision', FIXTURE] });
  });
  after(async () => {
    await t.stop();
  });
  afterEach(async () => {
    await w?.close();
    w = undefined;
    assert.equal(t.server.counts().blfSubscriptions, 0, 'every test ends its subscriptions');
    await assertBaseline(t, 8000);
  });

  it('a watcher of 201 sees early → confirmed → terminated for a real call, then unsubscribes', async () => {
    w = await TestPhone.open({ ...WATCH, server: t.udp });
    const sub = await w.subscribe(`sip:201@${DOMAIN}`, { expires: 600 });
    const res = sub.response;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Expires'), '600');
    assert.ok(res.headers.get('Contact'));
    const [first] = await w.waitForNotifies(1);
    assert.equal(first!.headers.get('Subscription-State'), 'active;expires=600');
    assert.equal(first!.headers.get('Event'), 'dialog');
    assert.equal(first!.contentType, 'application/dialog-info+xml');
    const initial = dialogInfo(first!.body);
    assert.equal(initial['@xmlns'], 'urn:ietf:params:xml:ns:dialog-info');
    assert.equal(initial['@state'], 'full');
    assert.equal(initial['@entity'], `sip:201@${DOMAIN}`);
    assert.equal(initial.dialog, undefined, 'idle: no dialogs');

    await callDeskA(t);
    const all = await w.waitForNotifies(4);
    const docs = all.map((n) => dialogInfo(n.body));
    const versions = docs.map((d) => Number(d['@version']));
    for (let i = 1; i < versions.length; i++)
      assert.ok(versions[i]! > versions[i - 1]!, `versions ${versions}`);
    const states = docs.slice(1).map((d) => d.dialog!.map((x) => text(x.state)).join(','));
    assert.deepEqual(states, ['early', 'confirmed', 'terminated']);
    for (const d of docs.slice(1)) {
      assert.equal(d['@state'], 'full');
      assert.equal(d['@entity'], `sip:201@${DOMAIN}`);
      const dlg = d.dialog![0]!;
      assert.ok(dlg['@id']);
      assert.equal(dlg['@direction'], 'recipient');
      assert.equal(text(dlg.local.identity), `sip:201@${DOMAIN}`);
      assert.equal(text(dlg.remote.identity), `sip:300@${DOMAIN}`);
    }
    // CSeq grows with every NOTIFY of the dialog.
    for (let i = 1; i < all.length; i++) assert.ok(all[i]!.cseq > all[i - 1]!.cseq);

    const un = await sub.unsubscribe();
    assert.equal(un.status, 200);
    const [last] = (await w.waitForNotifies(5)).slice(-1);
    assert.equal(last!.headers.get('Subscription-State'), 'terminated;reason=timeout');
    assert.ok(Number(dialogInfo(last!.body)['@version']) > versions.at(-1)!);
  });

  it('a sipp BLF key sees idle → early → confirmed → terminated for a real call, then unsubscribes', async () => {
    const key = runSipp({
      scenario: 'blf-subscribe-watch.xml',
      target: t.udp,
      keys: { user: WATCH.user, domain: DOMAIN, target: `sip:201@${DOMAIN}` },
      extra: ['-au', WATCH.user, '-ap', WATCH.password],
      timeoutS: 15,
      trace: true,
    });
    for (let i = 0; i < 100 && t.server.counts().blfSubscriptions !== 1; i++) await sleep(50);
    assert.equal(t.server.counts().blfSubscriptions, 1, 'the sipp key is subscribed');
    const lamps: string[] = [];
    const off = t.server.bus.on('presence.changed', (e) => {
      if (e.tenantId === 'acme') lamps.push(`${e.workplace}:${e.previous}->${e.status}`);
    });
    await callDeskA(t);
    off();
    // The same transitions are published on the bus (for the client stream), per workplace in order.
    assert.deepEqual(
      lamps.filter((l) => l.startsWith('201:')),
      ['201:idle->ringing', '201:ringing->busy', '201:busy->idle'],
    );
    assert.deepEqual(
      lamps.filter((l) => l.startsWith('300:')),
      ['300:idle->busy', '300:busy->idle'],
    );
    const r = await key;
    ok(r, 'sipp BLF key');
    // Every NOTIFY sipp received, once per CSeq (a loaded machine may see retransmissions), parsed as RFC 4235.
    const byCseq = new Map<number, string>();
    for (const m of r.messages.matchAll(
      /^NOTIFY [^\n]*\n[\s\S]*?^CSeq: *(\d+) NOTIFY[\s\S]*?(<(?:\?xml[^>]*>\s*<)?dialog-info[\s\S]*?<\/dialog-info>)/gm,
    ))
      if (!byCseq.has(Number(m[1]))) byCseq.set(Number(m[1]), m[2]!);
    const bodies = [...byCseq.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => dialogInfo(b));
    assert.equal(bodies.length, 5, r.messages);
    const versions = bodies.map((d) => Number(d['@version']));
    for (let i = 1; i < versions.length; i++)
      assert.ok(versions[i]! > versions[i - 1]!, `versions ${versions}`);
    assert.deepEqual(
      bodies.slice(1, 4).map((d) => d.dialog!.map((x) => text(x.state)).join(',')),
      ['early', 'confirmed', 'terminated'],
    );
    for (const d of bodies) assert.equal(d['@entity'], `sip:201@${DOMAIN}`);
  });

  it('a BLF key picks up the ringing call with the dialog identifiers of its own NOTIFY (INVITE with Replaces)', async () => {
    w = await TestPhone.open({ ...WATCH, server: t.udp });
    const sub = await w.subscribe(`sip:201@${DOMAIN}`, { expires: 600 });
    assert.equal(sub.response.status, 200);
    await w.waitForNotifies(1);
    await register(t, DESK_A);
    // desk-a rings and must be cancelled with "Call completed elsewhere" once the key has taken the call.
    const desk = runSipp({
      scenario: 'device-cancelled-elsewhere.xml',
      target: t.udp,
      localPort: DESK_A.port,
      keys: { user: DESK_A.user },
      timeoutS: 10,
    });
    await sleep(200);
    const picked = new Promise<{ kind: string; by?: string }>((resolve) => {
      const off = t.server.bus.on('call.picked-up', (e) => {
        off();
        resolve({ kind: e.kind, ...(e.by.device ? { by: e.by.device } : {}) });
      });
    });
    const caller = runSipp({
      scenario: 'device-call.xml',
      target: t.udp,
      keys: { user: CALLER.user, domain: DOMAIN, dial: '201' },
      extra: ['-au', CALLER.user, '-ap', CALLER.password],
      timeoutS: 10,
    });
    const [, early] = await w.waitForNotifies(2);
    const dlg = dialogInfo(early!.body).dialog![0]! as Dlg & {
      '@local-tag'?: string;
      '@remote-tag'?: string;
    };
    assert.equal(text(dlg.state), 'early');
    const callId = dlg['@call-id'];
    const localTag = dlg['@local-tag'];
    const remoteTag = dlg['@remote-tag'];
    assert.ok(callId && localTag && remoteTag, `pickup identifiers in the NOTIFY:\n${early!.body}`);
    // RFC 3891 orientation as the server sees its dialog with the ringing phone: to-tag = ours (the NOTIFY's remote).
    const key = await runSipp({
      scenario: 'blf-key-pickup.xml',
      target: t.udp,
      keys: {
        user: WATCH.user,
        domain: DOMAIN,
        dial: '201',
        replaces: `${callId};to-tag=${remoteTag};from-tag=${localTag}`,
      },
      extra: ['-au', WATCH.user, '-ap', WATCH.password],
      timeoutS: 10,
    });
    ok(key, 'the BLF key (picks up, is told the real caller, gets BYE when the caller hangs up)');
    ok(await caller, 'caller (connected to the key, hangs up)');
    ok(await desk, 'desk-a (CANCEL, Reason cause=200)');
    assert.deepEqual(await picked, { kind: 'replaces', by: WATCH.user });
    await runSipp({
      scenario: 'unregister-all.xml',
      target: t.udp,
      localPort: DESK_A.port,
      keys: { user: DESK_A.user, domain: DOMAIN, expires: 0 },
      extra: ['-au', DESK_A.user, '-ap', DESK_A.password],
    });
    assert.equal((await sub.unsubscribe()).status, 200);
  });

  it("another tenant's device gets 403 and no NOTIFY; an unknown event package gets 489", async () => {
    w = await TestPhone.open({
      user: 'watch-100',
      password: 'other-Watch-Pa55word',
      domain: 'other.zentrale.test',
      server: t.udp,
    });
    assert.equal((await w.subscribe(`sip:201@${DOMAIN}`, { expires: 600 })).response.status, 403);
    assert.equal(
      (await w.subscribe(`sip:299@${DOMAIN}`, { expires: 600 })).response.status,
      403,
      'same answer for a missing one',
    );
    assert.equal(
      (await w.subscribe(`sip:100-blf@${DOMAIN}`, { expires: 600, headers: [['Supported', 'eventlist']] }))
        .response.status,
      403,
    );
    const { response: bad } = await w.subscribe('sip:201@other.zentrale.test', {
      expires: 600,
      headers: [['Event', 'presence']],
    });
    assert.equal(bad.status, 489);
    // The packages served: BLF's dialog, the feature keys' as-feature-event and message waiting (RFC 6665 8.2.2).
    assert.deepEqual(bad.headers.get('Allow-Events')?.split(', ').sort(), [
      'as-feature-event',
      'dialog',
      'message-summary',
    ]);
    await sleep(300);
    assert.deepEqual(w.notifies, []);
    // The same refusal as a sipp BLF key (scenario blf-subscribe-403.xml), for the list URI too.
    for (const target of [`sip:202@${DOMAIN}`, `sip:100-blf@${DOMAIN}`]) {
      const r = await runSipp({
        scenario: 'blf-subscribe-403.xml',
        target: t.udp,
        keys: { user: 'watch-100', domain: 'other.zentrale.test', target },
        extra: ['-au', 'watch-100', '-ap', 'other-Watch-Pa55word'],
        timeoutS: 10,
      });
      ok(r, `sipp SUBSCRIBE ${target}`);
    }
    assert.equal(t.server.counts().blfSubscriptions, 0);
  });

  it('Expires bounds: 423 with Min-Expires, long ones capped, Expires: 0 is a fetch (one terminated NOTIFY)', async () => {
    w = await TestPhone.open({ ...WATCH, server: t.udp });
    const { response: short } = await w.subscribe(`sip:202@${DOMAIN}`, { expires: 10 });
    assert.equal(short.status, 423);
    assert.equal(short.headers.get('Min-Expires'), '60');
    const longSub = await w.subscribe(`sip:202@${DOMAIN}`, { expires: 86400 });
    const long = longSub.response;
    assert.equal(long.headers.get('Expires'), '3600');
    const [first] = await w.waitForNotifies(1);
    assert.equal(first!.headers.get('Subscription-State'), 'active;expires=3600');
    assert.equal((await longSub.unsubscribe()).status, 200);
    await w.waitForNotifies(2);
    const { response: fetch } = await w.subscribe(`sip:203@${DOMAIN}`, { expires: 0 });
    assert.equal(fetch.status, 200);
    assert.equal(fetch.headers.get('Expires'), '0');
    const [, , only] = await w.waitForNotifies(3);
    assert.equal(only!.headers.get('Subscription-State'), 'terminated;reason=timeout');
    assert.equal(dialogInfo(only!.body)['@entity'], `sip:203@${DOMAIN}`);
    await sleep(200);
    assert.equal(w.notifies.length, 3);
  });

  it('the list URI: 421 without eventlist; one multipart NOTIFY with three dialog parts, then partial updates', async () => {
    w = await TestPhone.open({ ...WATCH, server: t.udp });
    const { response: no } = await w.subscribe(`sip:100-blf@${DOMAIN}`, { expires: 600 });
    assert.equal(no.status, 421);
    assert.equal(no.headers.get('Require'), 'eventlist');
    const sub = await w.subscribe(`sip:100-blf@${DOMAIN}`, {
      expires: 600,
      headers: [
        ['Supported', 'eventlist'],
        ['Accept', 'application/dialog-info+xml, application/rlmi+xml, multipart/related'],
      ],
    });
    const res = sub.response;
    assert.equal(res.status, 200);
    const [full] = await w.waitForNotifies(1);
    assert.equal(full!.headers.get('Require'), 'eventlist');
    assert.match(full!.contentType, /^multipart\/related;type="application\/rlmi\+xml";start="<[^>]+>"/);
    const fp = parts(full!);
    assert.equal(fp[0]!.type, 'application/rlmi+xml');
    const rlmi = (xml.parse(fp[0]!.body) as { list: Record<string, unknown> }).list as {
      '@uri': string;
      '@version': string;
      '@fullState': string;
      resource: Array<{ '@uri': string; instance: { '@cid': string; '@state': string } }>;
    };
    assert.equal(rlmi['@uri'], `sip:100-blf@${DOMAIN}`);
    assert.equal(rlmi['@fullState'], 'true');
    assert.deepEqual(
      rlmi.resource.map((r) => r['@uri']),
      ['201', '202', '203'].map((e) => `sip:${e}@${DOMAIN}`),
    );
    const dialogParts = fp.filter((p) => p.type === 'application/dialog-info+xml');
    assert.equal(dialogParts.length, 3);
    for (const r of rlmi.resource) {
      assert.equal(r.instance['@state'], 'active');
      const part = fp.find((p) => p.cid === r.instance['@cid']);
      assert.ok(part, `part for ${r['@uri']}`);
      assert.equal(dialogInfo(part.body)['@entity'], r['@uri']);
    }

    await callDeskA(t);
    const updates = (await w.waitForNotifies(4)).slice(1);
    const seen: string[] = [];
    let lastVersion = Number(rlmi['@version']);
    for (const n of updates) {
      const ps = parts(n);
      const list = (xml.parse(ps[0]!.body) as { list: Record<string, unknown> }).list as typeof rlmi;
      assert.equal(list['@fullState'], 'false');
      assert.ok(Number(list['@version']) > lastVersion);
      lastVersion = Number(list['@version']);
      assert.deepEqual(
        list.resource.map((r) => r['@uri']),
        [`sip:201@${DOMAIN}`],
        'only the changed resource',
      );
      const info = dialogInfo(ps.find((p) => p.type === 'application/dialog-info+xml')!.body);
      seen.push(info.dialog!.map((d) => text(d.state)).join(','));
    }
    assert.deepEqual(seen, ['early', 'confirmed', 'terminated']);
    assert.equal((await sub.unsubscribe()).status, 200);
    await w.waitForNotifies(5);
  });

  it('a subscription survives a restart: a real call afterwards NOTIFYs in the same dialog, versions and CSeq higher', async () => {
    w = await TestPhone.open({ ...WATCH, server: t.udp });
    const sub = await w.subscribe(`sip:201@${DOMAIN}`, { expires: 600 });
    assert.equal(sub.response.status, 200);
    const [before] = await w.waitForNotifies(1);
    const v0 = Number(dialogInfo(before!.body)['@version']);
    // Same UDP port after the restart: the stored flow (and the phone's idea of our address) stays valid.
    const [, port] = t.udp.split(':');
    await t.restart({ sip: `udp:127.0.0.1:${port},tcp:127.0.0.1:0,ws:127.0.0.1:0` });
    assert.equal(t.server.counts().blfSubscriptions, 1);
    const [restored] = (await w.waitForNotifies(2)).slice(1);
    const v1 = Number(dialogInfo(restored!.body)['@version']);
    assert.ok(v1 > v0, `${v1} > ${v0}`);
    assert.ok(restored!.cseq > before!.cseq);
    // A real call after the restart reaches the watcher through the restored dialog, in order, versions rising.
    await callDeskA(t);
    const changes = (await w.waitForNotifies(5)).slice(2);
    assert.deepEqual(changes.map(dialogStates), ['early', 'confirmed', 'terminated']);
    let v = v1;
    for (const n of changes) {
      const nv = Number(dialogInfo(n.body)['@version']);
      assert.ok(nv > v, `${nv} > ${v}`);
      v = nv;
    }
    // The restored dialog still takes in-dialog requests: a refresh (NOTIFY), then the unsubscribe.
    // (Expiry after a restart runs on the injected clock: blf-notifier.test.ts.)
    assert.equal((await sub.refresh(120)).status, 200);
    const [refreshed] = (await w.waitForNotifies(6)).slice(5);
    assert.equal(refreshed!.headers.get('Subscription-State'), 'active;expires=120');
    assert.equal((await sub.unsubscribe()).status, 200);
    const [last] = (await w.waitForNotifies(7)).slice(6);
    assert.equal(last!.headers.get('Subscription-State'), 'terminated;reason=timeout');
    assert.ok(Number(dialogInfo(last!.body)['@version']) > v);
    // Ended subscriptions are not stored: another restart restores none (and gives a clean leak baseline).
    await t.restart({ sip: `udp:127.0.0.1:${port},tcp:127.0.0.1:0,ws:127.0.0.1:0` });
    assert.equal(t.server.counts().blfSubscriptions, 0);
  });

  it('a TCP subscription survives a restart: NOTIFYs reach the Contact over a new connection, refresh follows', async () => {
    // A BLF key that listens for connections (its Contact names that port) and connects out for its SUBSCRIBEs.
    w = await TestPhone.open({ ...WATCH, server: t.tcp, transport: 'tcp', listen: true });
    const sub = await w.subscribe(`sip:201@${DOMAIN}`, { expires: 600 });
    assert.equal(sub.response.status, 200);
    const [before] = await w.waitForNotifies(1, 8000);
    assert.equal(before!.flow.connectionId, 'server', "before the restart: over the key's own connection");
    const v0 = Number(dialogInfo(before!.body)['@version']);
    // Same ports after the restart: the phone's idea of our address (its route to us) stays valid.
    const [, udpPort] = t.udp.split(':');
    const [, tcpPort] = t.tcp.split(':');
    const sip = `udp:127.0.0.1:${udpPort},tcp:127.0.0.1:${tcpPort},ws:127.0.0.1:0`;
    await t.restart({ sip });
    assert.equal(t.server.counts().blfSubscriptions, 1);
    // The old connection died with the server; the restored NOTIFY came over one the server opened to the Contact.
    const [restored] = (await w.waitForNotifies(2, 8000)).slice(1);
    assert.match(restored!.flow.connectionId ?? '', /^accepted-/, 'a new connection from the server');
    const v1 = Number(dialogInfo(restored!.body)['@version']);
    assert.ok(v1 > v0, `${v1} > ${v0}`);
    assert.ok(restored!.cseq > before!.cseq);
    assert.match(restored!.headers.get('Via') ?? '', /^SIP\/2\.0\/TCP /);
    await callDeskA(t);
    const changes = (await w.waitForNotifies(5, 8000)).slice(2);
    assert.deepEqual(changes.map(dialogStates), ['early', 'confirmed', 'terminated']);
    // A refresh from the phone (its new connection to us), then the unsubscribe.
    assert.equal((await sub.refresh(120)).status, 200);
    const [refreshed] = (await w.waitForNotifies(6, 8000)).slice(5);
    assert.equal(refreshed!.headers.get('Subscription-State'), 'active;expires=120');
    assert.equal((await sub.unsubscribe()).status, 200);
    const [last] = (await w.waitForNotifies(7, 8000)).slice(6);
    assert.equal(last!.headers.get('Subscription-State'), 'terminated;reason=timeout');
    assert.equal(t.server.counts().blfSubscriptions, 0);
    await w.close();
    w = undefined;
    // A clean leak baseline without the connections of this test.
    await t.restart({ sip: `udp:127.0.0.1:${udpPort},tcp:127.0.0.1:0,ws:127.0.0.1:0` });
  });

  it('provisioning changes: a removed workplace ends with noresource, a changed BLF list is followed', async () => {
    w = await TestPhone.open({ ...WATCH, server: t.udp });
    const single = await TestPhone.open({ ...WATCH, server: t.udp });
    const dir = mkdtempSync(join(tmpdir(), 'zentrale-blf-'));
    try {
      // `Require: eventlist` instead of `Supported:` is accepted too (RFC 4662 section 4).
      const sub = await w.subscribe(`sip:100-blf@${DOMAIN}`, {
        expires: 600,
        headers: [['Require', 'eventlist']],
      });
      assert.equal(sub.response.status, 200);
      assert.equal((await single.subscribe(`sip:203@${DOMAIN}`, { expires: 600 })).response.status, 200);
      await w.waitForNotifies(1);
      await single.waitForNotifies(1);
      const changed = join(dir, 'blf.yaml');
      writeFileSync(
        changed,
        readFileSync(FIXTURE, 'utf8')
          .replace("blf: ['201', '202', '203']", "blf: ['202', '201']")
          .replace("      - extension: '203'\n        name: Lager\n", ''),
      );
      await t.server.provision(changed);
      const [, gone] = await single.waitForNotifies(2);
      assert.equal(gone!.headers.get('Subscription-State'), 'terminated;reason=noresource');
      const [, update] = await w.waitForNotifies(2);
      const list = (xml.parse(parts(update!)[0]!.body) as { list: Record<string, unknown> }).list as {
        '@fullState': string;
        resource: Array<{ '@uri': string }>;
      };
      assert.equal(list['@fullState'], 'true');
      assert.deepEqual(
        list.resource.map((r) => r['@uri']),
        [`sip:202@${DOMAIN}`, `sip:201@${DOMAIN}`],
      );
      assert.equal((await sub.unsubscribe()).status, 200);
      await w.waitForNotifies(3);
    } finally {
      await single.close();
      await t.server.provision(FIXTURE);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
