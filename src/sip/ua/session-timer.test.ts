import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../util/clock.js';
import { Headers } from '../message/headers.js';
import {
  DEFAULT_SESSION_TIMER,
  RFC_MIN_SE,
  SessionTimer,
  expiryDelayMs,
  parseMinSe,
  parseSessionExpires,
  refreshDelayMs,
  uacRequestHeaders,
  uacTerms,
  uasNegotiate,
  type SessionTerms,
} from './session-timer.js';

function msg(lines: Array<[string, string]>): { headers: Headers } {
  const headers = new Headers();
  for (const [n, v] of lines) headers.add(n, v);
  return { headers };
}

const cfg = { expires: 1800, minSe: 90 };

describe('session timer negotiation (RFC 4028)', () => {
  it('the production default keeps the RFC minimum of 90 s', () => {
    assert.equal(RFC_MIN_SE, 90);
    assert.equal(DEFAULT_SESSION_TIMER.minSe, 90);
    assert.ok(DEFAULT_SESSION_TIMER.expires >= 90);
  });

  it('parses Session-Expires with its refresher, the compact form x, and Min-SE', () => {
    assert.deepEqual(parseSessionExpires(msg([['Session-Expires', '1800;refresher=uac']]).headers), {
      seconds: 1800,
      refresher: 'uac',
    });
    assert.deepEqual(parseSessionExpires(msg([['x', '120 ; Refresher = UAS']]).headers), {
      seconds: 120,
      refresher: 'uas',
    });
    assert.equal(parseSessionExpires(msg([['Session-Expires', 'soon']]).headers), undefined);
    assert.equal(parseMinSe(msg([['Min-SE', '300']]).headers), 300);
    assert.equal(parseMinSe(msg([]).headers), undefined);
  });

  it('UAS: an interval below our Min-SE is refused with 422 and our Min-SE', () => {
    const d = uasNegotiate(
      msg([
        ['Session-Expires', '60'],
        ['Supported', 'timer'],
      ]),
      cfg,
    );
    assert.deepEqual(d, { kind: 'reject', minSe: 90 });
  });

  it('UAS: a phone that supports timer and names no refresher refreshes itself; the interval is the smaller', () => {
    const d = uasNegotiate(
      msg([
        ['Session-Expires', '600'],
        ['Supported', 'timer, 100rel'],
      ]),
      cfg,
    );
    assert.equal(d.kind, 'timer');
    if (d.kind !== 'timer') return;
    assert.deepEqual(d.headers, [
      ['Session-Expires', '600;refresher=uac'],
      ['Require', 'timer'],
    ]);
    assert.deepEqual(d.terms, { interval: 600, refresher: 'remote', peerAllowsUpdate: false });
  });

  it('UAS: a longer interval than ours is cut to ours, never below the request Min-SE', () => {
    const d = uasNegotiate(
      msg([
        ['Session-Expires', '7200;refresher=uas'],
        ['Supported', 'timer'],
      ]),
      cfg,
    );
    assert.ok(d.kind === 'timer');
    assert.deepEqual(d.terms, { interval: 1800, refresher: 'local', peerAllowsUpdate: false });
    const floor = uasNegotiate(
      msg([
        ['Session-Expires', '7200'],
        ['Min-SE', '3600'],
        ['Supported', 'timer'],
      ]),
      cfg,
    );
    assert.ok(floor.kind === 'timer' && floor.terms.interval === 3600);
  });

  it('UAS: a phone without timer support gets our interval and we refresh (no Require: timer)', () => {
    const d = uasNegotiate(msg([['Allow', 'INVITE, ACK, BYE, UPDATE']]), cfg);
    assert.ok(d.kind === 'timer');
    assert.deepEqual(d.headers, [['Session-Expires', '1800;refresher=uas']]);
    assert.deepEqual(d.terms, { interval: 1800, refresher: 'local', peerAllowsUpdate: true });
  });

  it('session timers off: nothing is refused or added', () => {
    const off = { expires: 0, minSe: 90 };
    assert.deepEqual(uasNegotiate(msg([['Session-Expires', '30']]), off), { kind: 'none' });
    assert.deepEqual(uacRequestHeaders(off), []);
    assert.equal(uacTerms(msg([['Session-Expires', '90;refresher=uac']]), off), undefined);
  });

  it('UAC: asks for our interval as refresher; takes the refresher the 2xx names', () => {
    assert.deepEqual(uacRequestHeaders(cfg), [
      ['Supported', 'timer'],
      ['Session-Expires', '1800;refresher=uac'],
      ['Min-SE', '90'],
    ]);
    assert.deepEqual(uacTerms(msg([['Session-Expires', '900;refresher=uas']]), cfg), {
      interval: 900,
      refresher: 'remote',
      peerAllowsUpdate: false,
    });
    assert.equal(uacTerms(msg([['Session-Expires', '900;refresher=uac']]), cfg)?.refresher, 'local');
    // Section 7.2: a 2xx without Session-Expires means no session timer.
    assert.equal(uacTerms(msg([]), cfg), undefined);
  });

  it('section 10 timing: refresh at half, expiry at the interval less min(32 s, a third)', () => {
    assert.equal(refreshDelayMs({ interval: 1800 }), 900_000);
    assert.equal(expiryDelayMs({ interval: 1800 }), 1_768_000);
    assert.equal(expiryDelayMs({ interval: 90 }), 60_000);
    assert.equal(expiryDelayMs({ interval: 3 }), 2000);
  });
});

describe('SessionTimer', () => {
  const remote: SessionTerms = { interval: 90, refresher: 'remote', peerAllowsUpdate: false };
  const local: SessionTerms = { interval: 90, refresher: 'local', peerAllowsUpdate: true };

  it('the peer refreshes: without a refresh the session expires once; a refresh restarts the interval', () => {
    const clock = new FakeClock();
    let expired = 0;
    const t = new SessionTimer({ clock, terms: remote, refresh: async () => true, expired: () => expired++ });
    assert.equal(t.state, 'waiting');
    clock.advance(50_000);
    t.refreshed();
    clock.advance(50_000);
    assert.equal(expired, 0, 'the refresh at 50 s carried the session past 60 s');
    clock.advance(10_000);
    assert.equal(expired, 1);
    assert.equal(t.state, 'expired');
    clock.advance(200_000);
    assert.equal(expired, 1);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('we refresh at half the interval and keep going while the peer accepts', async () => {
    const clock = new FakeClock();
    let refreshes = 0;
    let expired = 0;
    const t = new SessionTimer({
      clock,
      terms: local,
      refresh: async () => (refreshes++, true),
      expired: () => expired++,
    });
    assert.equal(t.state, 'refreshing-due');
    for (let i = 0; i < 4; i++) {
      clock.advance(45_000);
      await Promise.resolve();
      await Promise.resolve();
    }
    assert.equal(refreshes, 4);
    assert.equal(expired, 0);
    t.stop();
    assert.equal(t.state, 'stopped');
    assert.equal(clock.pendingTimers(), 0);
  });

  it('our refresh ending the dialog (false) expires the session at once', async () => {
    const clock = new FakeClock();
    let expired = 0;
    const t = new SessionTimer({ clock, terms: local, refresh: async () => false, expired: () => expired++ });
    clock.advance(45_000);
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(expired, 1);
    assert.equal(t.state, 'expired');
  });

  it('our refresh never answered: the session expires at its deadline', () => {
    const clock = new FakeClock();
    let expired = 0;
    const t = new SessionTimer({
      clock,
      terms: local,
      refresh: () => new Promise<boolean>(() => undefined),
      expired: () => expired++,
    });
    clock.advance(45_000);
    assert.equal(expired, 0);
    clock.advance(15_000);
    assert.equal(expired, 1);
    assert.equal(t.state, 'expired');
  });

  it('a stopped timer never expires, and a refresh after the end changes nothing', () => {
    const clock = new FakeClock();
    let expired = 0;
    const t = new SessionTimer({ clock, terms: remote, refresh: async () => true, expired: () => expired++ });
    t.stop();
    t.refreshed();
    clock.advance(500_000);
    assert.equal(expired, 0);
    assert.equal(t.state, 'stopped');
  });
});

describe('SessionTimer terms', () => {
  it('a refresh without Allow keeps the peer UPDATE support learnt at setup', () => {
    const clock = new FakeClock();
    const t = new SessionTimer({
      clock,
      terms: { interval: 90, refresher: 'local', peerAllowsUpdate: true },
      refresh: async () => true,
      expired: () => undefined,
    });
    t.refreshed({ interval: 120, refresher: 'local', peerAllowsUpdate: false });
    assert.deepEqual(t.terms, { interval: 120, refresher: 'local', peerAllowsUpdate: true });
    t.stop();
  });
});
