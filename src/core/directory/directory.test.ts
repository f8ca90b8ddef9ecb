import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Directory } from './directory.js';
import type { DeviceRecord, DirectoryStore } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';

const dev = (username: string, ha1: string): DeviceRecord => ({
  tenantId: 't1',
  username,
  workplaceExtension: username,
  kind: 'deskphone',
  ha1Md5: ha1,
  ha1Sha256: ha1,
});

/** A store over a mutable table that counts its queries, standing in for another process's provisioning. */
function fakeStore(rows: Map<string, DeviceRecord>) {
  const calls = { device: 0, devicesNamed: [] as string[][] };
  const store: DirectoryStore = {
    tenantByDomain: () => Promise.resolve(undefined),
    tenant: () => Promise.resolve(undefined),
    device: (_t, u) => {
      calls.device++;
      return Promise.resolve(rows.get(u));
    },
    devicesNamed: (_t, names) => {
      calls.devicesNamed.push([...names]);
      return Promise.resolve(names.flatMap((n) => (rows.has(n) ? [rows.get(n)!] : [])));
    },
    workplaces: () => Promise.resolve([]),
    devices: () => Promise.resolve([...rows.values()]),
    snapshot: () => Promise.resolve({ tenants: [], workplaces: [], devices: [] }),
  };
  return { store, calls };
}

function manualClock(): Clock & { advance(ms: number): void } {
  let t = 1_000_000;
  return {
    now: () => t,
    advance: (ms: number) => void (t += ms),
  } as unknown as Clock & { advance(ms: number): void };
}

describe('Directory device cache', () => {
  it('answers stale devices from the cache and reloads them in one query per tenant', async () => {
    const rows = new Map([
      ['100', dev('100', 'a')],
      ['101', dev('101', 'b')],
      ['102', dev('102', 'c')],
    ]);
    const { store, calls } = fakeStore(rows);
    const clock = manualClock();
    const d = new Directory({ store, clock, ttlMs: 5_000 });
    for (const u of ['100', '101', '102']) assert.equal((await d.device('t1', u))?.username, u);
    assert.equal(calls.device, 3, 'each miss loads its device');

    // Another process changes a password and removes a device; the cache answers until the reload lands.
    rows.set('100', dev('100', 'a2'));
    rows.delete('102');
    clock.advance(5_000);
    assert.equal((await d.device('t1', '100'))?.ha1Md5, 'a', 'stale value answers at once');
    assert.equal((await d.device('t1', '101'))?.ha1Md5, 'b');
    assert.equal((await d.device('t1', '102'))?.ha1Md5, 'c');
    await nextTurn();
    await nextTurn();
    assert.deepEqual(calls.devicesNamed, [['100', '101', '102']], 'one query for the whole burst');
    assert.equal(calls.device, 3, 'no per-device query');
    assert.equal((await d.device('t1', '100'))?.ha1Md5, 'a2', 'the new HA1 after the reload');
    assert.equal(await d.device('t1', '102'), undefined, 'the removed device is gone');
    await nextTurn();
    assert.equal(calls.devicesNamed.length, 1, 'fresh entries are not reloaded again');
  });

  it('drops a reload that started before invalidate()', async () => {
    const rows = new Map([['100', dev('100', 'old')]]);
    const { store } = fakeStore(rows);
    const clock = manualClock();
    const d = new Directory({ store, clock, ttlMs: 5_000 });
    await d.device('t1', '100');
    clock.advance(5_000);
    await d.device('t1', '100'); // queues the reload
    d.invalidate(); // provisioning in this process
    rows.set('100', dev('100', 'new'));
    await nextTurn();
    await nextTurn();
    assert.equal((await d.device('t1', '100'))?.ha1Md5, 'new', 'loaded afresh after the invalidation');
  });
});
