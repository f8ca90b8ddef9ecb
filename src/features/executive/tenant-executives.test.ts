import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExecutiveRecord } from '../../store/executive-store.js';
import { TenantExecutives } from './tenant-executives.js';

function exec(over: Partial<ExecutiveRecord> = {}): ExecutiveRecord {
  return {
    tenantId: 'acme',
    extension: '300',
    assistants: [
      { extension: '301', divertTo: null },
      { extension: '302', divertTo: '305' },
    ],
    filtering: 'all',
    alerting: 'simultaneous',
    nextAssistantS: 10,
    rolloverS: 30,
    screening: false,
    optInOut: true,
    pushRecallS: 20,
    ...over,
  };
}

function tenant() {
  const writes: string[] = [];
  const t = new TenantExecutives('acme', {
    filter: (e, on) => Promise.resolve(void writes.push(`filter ${e} ${on}`)),
    optIn: (e, a, v) => Promise.resolve(void writes.push(`opt ${e}/${a} ${v}`)),
    divert: (e, a, v) => Promise.resolve(void writes.push(`divert ${e}/${a} ${v}`)),
  });
  return { t, writes };
}

describe('tenant executives: runtime switches', () => {
  it('defaults until switched: filter on (unless off), opted in, divert on when a target is provisioned', () => {
    const { t } = tenant();
    t.configure([exec(), exec({ extension: '320', filtering: 'off' })], { filters: [], assistants: [] });
    assert.equal(t.filterOn('300'), true);
    assert.equal(t.filterOn('320'), false, 'filtering off is never on');
    assert.equal(t.filterOn('999'), false);
    assert.equal(t.optedIn('300', '301'), true);
    assert.equal(t.optedIn('300', '310'), false, 'not an assistant');
    assert.equal(t.divertTarget('300', '301'), undefined);
    assert.equal(t.divertTarget('300', '302'), '305');
    assert.deepEqual(
      t.executivesOf('301').map((e) => e.extension),
      ['300', '320'],
    );
  });

  it('switches are written through and read back from the stored state', async () => {
    const { t, writes } = tenant();
    t.configure([exec()], { filters: [], assistants: [] });
    await t.setFilter('300', false);
    await t.setOptIn('300', '301', false);
    await t.setDivert('300', '302', false);
    assert.deepEqual(writes, ['filter 300 false', 'opt 300/301 false', 'divert 300/302 false']);
    assert.equal(t.filterOn('300'), false);
    assert.equal(t.optedIn('300', '301'), false);
    assert.equal(t.divertTarget('300', '302'), undefined);
    const again = tenant().t;
    again.configure([exec()], {
      filters: [{ executive: '300', on: false }],
      assistants: [{ executive: '300', assistant: '301', optedIn: false }],
    });
    assert.equal(again.filterOn('300'), false);
    assert.equal(again.optedIn('300', '301'), false);
  });

  it('optInOut false: every assistant is always in', () => {
    const { t } = tenant();
    t.configure([exec({ optInOut: false })], {
      filters: [],
      assistants: [{ executive: '300', assistant: '301', optedIn: false }],
    });
    assert.equal(t.optedIn('300', '301'), true);
  });
});
