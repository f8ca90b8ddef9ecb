import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { silence, tone } from '../../media/audio/tone.js';
import type { AudioSource } from '../../media/index.js';
import { FakeClock } from '../../util/clock.js';
import { isMessage } from './deposit.js';
import { retryDelay } from './email-notifier.js';
import { countsOf } from './mailboxes.js';
import { MessageFiles } from './message-files.js';
import { messageSummaryBody, parseMessageSummary } from './message-summary.js';
import { VoiceSession, type AnsweredCall } from './voice-session.js';

describe('message-summary bodies (RFC 3842 section 5.2)', () => {
  it('says yes while a new message waits, with new/old counts and the account', () => {
    const body = messageSummaryBody('sip:100@acme.example', { newCount: 2, oldCount: 3 });
    assert.equal(
      body,
      'Messages-Waiting: yes\r\nMessage-Account: sip:100@acme.example\r\nVoice-Message: 2/3 (0/0)\r\n',
    );
    assert.deepEqual(parseMessageSummary(body), {
      waiting: true,
      account: 'sip:100@acme.example',
      newCount: 2,
      oldCount: 3,
    });
    assert.equal(
      parseMessageSummary(messageSummaryBody('sip:1@a.b', { newCount: 0, oldCount: 1 }))?.waiting,
      false,
    );
    assert.equal(parseMessageSummary('hello'), undefined);
  });
  it('counts new and saved messages', () => {
    const m = (folder: 'new' | 'saved') => ({ folder }) as Parameters<typeof countsOf>[0][number];
    assert.deepEqual(countsOf([m('new'), m('saved'), m('new')]), { newCount: 2, oldCount: 1 });
  });
});

describe('what counts as a message', () => {
  it('a second of sound is; shorter or silent is not', () => {
    assert.equal(isMessage(tone({ frequencies: 440, durationMs: 1200 })), true);
    assert.equal(isMessage(tone({ frequencies: 440, durationMs: 800 })), false);
    assert.equal(isMessage(silence(5000)), false);
  });
  it('e-mail retries double from 30 s up to an hour', () => {
    assert.deepEqual([1, 2, 3, 8, 20].map(retryDelay), [30_000, 60_000, 120_000, 3_600_000, 3_600_000]);
  });
});

describe('message files', () => {
  it('writes, reads and sweeps per mailbox; refuses names that could leave its folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-files-'));
    try {
      const f = new MessageFiles(dir);
      const audio = tone({ frequencies: 1000, durationMs: 100 });
      await f.writeMessage('acme', '100', 'm1', audio);
      await f.writeMessage('other', '100', 'm1', audio);
      await f.writeGreeting('acme', '101', audio);
      assert.deepEqual((await f.message('acme', '100', 'm1'))?.samples, audio.samples);
      assert.equal(await f.message('acme', '100', 'nope'), undefined);
      assert.equal(await f.sweep([{ tenantId: 'acme', extension: '100' }]), 2);
      assert.equal(existsSync(join(dir, 'voicemail', 'acme', '100', 'm1.wav')), true);
      assert.equal(existsSync(join(dir, 'voicemail', 'other', '100')), false);
      assert.equal(await f.greeting('acme', '101'), undefined);
      await assert.rejects(f.writeMessage('acme', '../x', 'm2', audio));
      await f.deleteMessage('acme', '100', 'm1');
      assert.equal(await f.readMessage('acme', '100', 'm1'), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A call that plays by the fake clock: each play ends after its length unless stopped. */
class FakeCall implements AnsweredCall {
  state = 'queued';
  played: number[] = [];
  #dtmf: Array<(d: string) => void> = [];
  #ended: Array<() => void> = [];
  #timer: ReturnType<FakeClock['setTimeout']> | undefined;
  constructor(readonly clock: FakeClock) {}
  play(source: AudioSource, o: { onEnded?: () => void } = {}): void {
    this.stopAudio();
    this.played.push(source.samples.length);
    this.#timer = this.clock.setTimeout(() => o.onEnded?.(), source.samples.length / 8);
  }
  stopAudio(): void {
    this.clock.clearTimeout(this.#timer);
  }
  onDtmf(cb: (d: string) => void): void {
    this.#dtmf.push(cb);
  }
  onEnded(cb: () => void): void {
    this.#ended.push(cb);
  }
  async hangup(): Promise<void> {
    this.state = 'ended';
    for (const c of this.#ended) c();
  }
  press(keys: string): void {
    for (const k of keys) for (const c of this.#dtmf) c(k);
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('VoiceSession', () => {
  it('a key interrupts a prompt with barge-in and is read afterwards; keys up to # make a string', async () => {
    const clock = new FakeClock();
    const call = new FakeCall(clock);
    const s = new VoiceSession(call, clock);
    const played = s.play(silence(5000), { bargeIn: true });
    await tick();
    clock.advance(1000);
    call.press('12#9');
    assert.equal(await played, true);
    assert.equal(await s.digits(8, 5000), '12');
    assert.equal(await s.digit(100), '9');
    const none = s.digit(3000);
    await tick();
    clock.advance(3000);
    assert.equal(await none, undefined, 'timeout');
  });
  it('without barge-in the prompt plays to its end; hanging up ends every wait', async () => {
    const clock = new FakeClock();
    const call = new FakeCall(clock);
    const s = new VoiceSession(call, clock);
    let done = false;
    const played = s.play(silence(2000)).then((r) => ((done = true), r));
    await tick();
    call.press('5');
    clock.advance(1000);
    await tick();
    assert.equal(done, false);
    clock.advance(1000);
    assert.equal(await played, true);
    const waiting = s.digits(4, 60_000);
    s.clearDigits();
    await tick();
    await call.hangup();
    assert.equal(await waiting, undefined);
    assert.equal(await s.play(silence(100)), false);
    assert.equal(clock.pendingTimers(), 0);
  });
});
