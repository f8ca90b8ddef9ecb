import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Diversion } from '../../core/events/types.js';
import { PromptSet } from '../../media/audio/prompts.js';
import { tone } from '../../media/audio/tone.js';
import { MessageFiles } from './message-files.js';
import { greetingFor } from './voicemail-service.js';

const hop = (reason: Diversion['reason']): Diversion => ({
  from: { workplace: '100', number: '100' },
  reason,
});

describe('greeting per reason', () => {
  it('busy only when the last hop diverted on busy; every other reason hears the unavailable greeting', () => {
    assert.equal(greetingFor([hop('user-busy')]), 'busy');
    assert.equal(greetingFor([hop('no-answer'), hop('user-busy')]), 'busy');
    assert.equal(greetingFor([hop('user-busy'), hop('no-answer')]), 'unavailable');
    for (const r of ['no-answer', 'unavailable', 'unconditional', 'do-not-disturb'] as const)
      assert.equal(greetingFor([hop(r)]), 'unavailable', r);
    // `*86` + extension: no hops at all.
    assert.equal(greetingFor([]), 'unavailable');
  });

  it('the owner records the two greetings apart; one never stands in for the other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'greetings-'));
    try {
      const files = new MessageFiles(dir);
      await files.writeGreeting('t1', '100', tone({ frequencies: 440, durationMs: 500 }), 'busy');
      assert.equal(await files.greeting('t1', '100'), undefined);
      assert.equal((await files.greeting('t1', '100', 'busy'))?.samples.length, 4000);
      await files.writeGreeting('t1', '100', tone({ frequencies: 440, durationMs: 250 }));
      assert.equal((await files.greeting('t1', '100'))?.samples.length, 2000);
      assert.equal((await files.greeting('t1', '100', 'busy'))?.samples.length, 4000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('both spoken default greetings exist in both languages', () => {
    const p = new PromptSet();
    for (const lang of ['de', 'en'] as const) {
      assert.ok(p.has(lang, 'vm-greeting'));
      assert.ok(p.has(lang, 'vm-greeting-busy'));
      assert.notEqual(
        p.get(lang, 'vm-greeting').samples.length,
        p.get(lang, 'vm-greeting-busy').samples.length,
      );
    }
  });
});
