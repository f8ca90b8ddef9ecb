import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResponseStatus } from '../transaction/types.js';
import { PendingList, TemplatePending } from './template-pending.js';

function pendings(n: number, list: PendingList, settled: string[]): TemplatePending[] {
  return Array.from(
    { length: n },
    (_, i) =>
      new TemplatePending(
        'NOTIFY',
        (res: ResponseStatus) => settled.push(`${i}:${res.status}`),
        (p, res) => {
          list.delete(p);
          p.done(res);
        },
      ),
  );
}

describe('PendingList', () => {
  it('removes any member, in any order, and keeps the others findable', () => {
    const list = new PendingList();
    const settled: string[] = [];
    const ps = pendings(5, list, settled);
    for (const p of ps) list.add(p);
    ps[1]!.settle({ status: 200, reason: 'OK' });
    ps[4]!.settle({ status: 200, reason: 'OK' });
    ps[0]!.settle({ status: 200, reason: 'OK' });
    assert.equal(list.size, 2);
    assert.deepEqual(new Set(list.snapshot()), new Set([ps[2], ps[3]]));
    // A second settle and a delete of a member no longer in the list change nothing.
    ps[1]!.settle({ status: 500, reason: 'late' });
    list.delete(ps[0]!);
    assert.equal(list.size, 2);
    for (const p of list.snapshot()) p.settle({ status: 503, reason: 'Dialog Closed' });
    assert.equal(list.size, 0);
    assert.deepEqual(settled.sort(), ['0:200', '1:200', '2:503', '3:503', '4:200']);
  });

  it('a member of another list is not removed from this one', () => {
    const a = new PendingList();
    const b = new PendingList();
    const [p, q] = pendings(2, a, []);
    a.add(p!);
    b.add(q!);
    a.delete(q!);
    assert.equal(a.size, 1);
    assert.equal(b.size, 1);
  });
});
