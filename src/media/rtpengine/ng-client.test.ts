import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { bdecode, bencode, type BValue } from './bencode.js';
import type { NgError } from './ng-client.js';
import { NgClient, type NgDict } from './ng-client.js';

/** A scripted ng peer on loopback: records every datagram, answers through `reply` (undefined: stays silent). */
async function fakeDaemon(reply: (cmd: NgDict, count: number) => BValue | undefined) {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const seen: { cookie: string; cmd: NgDict }[] = [];
  sock.on('message', (m, rinfo) => {
    const space = m.indexOf(0x20);
    const cookie = m.toString('latin1', 0, space);
    const cmd = bdecode(m.subarray(space + 1)) as NgDict;
    seen.push({ cookie, cmd });
    const r = reply(cmd, seen.filter((s) => s.cookie === cookie).length);
    if (r !== undefined)
      sock.send(Buffer.concat([Buffer.from(`${cookie} `), bencode(r)]), rinfo.port, rinfo.address);
  });
  return { port: sock.address().port, seen, close: () => sock.close() };
}

describe('NgClient', () => {
  let daemon: Awaited<ReturnType<typeof fakeDaemon>>;
  let mode: 'ok' | 'second' | 'silent' | 'error' = 'ok';
  before(async () => {
    daemon = await fakeDaemon((cmd, count): BValue | undefined => {
      if (mode === 'silent') return undefined;
      if (mode === 'second' && count < 2) return undefined;
      if (mode === 'error') return { result: 'error', 'error-reason': 'Unknown call-id' };
      if (cmd.command === 'ping') return { result: 'pong' };
      return { result: 'ok', sdp: `rewritten ${String(cmd.sdp)}` };
    });
  });
  after(() => daemon.close());

  it('sends the command with its parameters and returns the rewritten SDP', async () => {
    mode = 'ok';
    const c = new NgClient({ host: '127.0.0.1', port: daemon.port });
    try {
      await c.ping();
      const sdp = await c.offer({ 'call-id': 'c1', 'from-tag': 'a' }, 'v=0', { ICE: 'remove' });
      assert.equal(sdp, 'rewritten v=0');
      const last = daemon.seen.at(-1)!.cmd;
      assert.equal(last.command, 'offer');
      assert.equal(last['call-id'], 'c1');
      assert.equal(last.ICE, 'remove');
      assert.equal(c.pending, 0);
    } finally {
      await c.close();
    }
  });

  it('cookies are unique within a client and between clients (a restarted process)', async () => {
    mode = 'ok';
    const a = new NgClient({ host: '127.0.0.1', port: daemon.port });
    const b = new NgClient({ host: '127.0.0.1', port: daemon.port });
    try {
      const from = daemon.seen.length;
      await Promise.all([a.ping(), a.ping(), b.ping(), b.ping()]);
      const cookies = daemon.seen.slice(from).map((s) => s.cookie);
      assert.equal(new Set(cookies).size, 4);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('retransmits with the same cookie when no reply comes, and takes the reply to the retransmission', async () => {
    mode = 'second';
    const c = new NgClient({ host: '127.0.0.1', port: daemon.port, timeoutMs: 50, retries: 2 });
    try {
      const from = daemon.seen.length;
      await c.query({ 'call-id': 'c2' });
      const sent = daemon.seen.slice(from);
      assert.equal(sent.length, 2);
      assert.equal(sent[0]!.cookie, sent[1]!.cookie);
    } finally {
      await c.close();
    }
  });

  it('gives up after the retries with NG_TIMEOUT', async () => {
    mode = 'silent';
    const c = new NgClient({ host: '127.0.0.1', port: daemon.port, timeoutMs: 30, retries: 2 });
    try {
      const from = daemon.seen.length;
      await assert.rejects(c.ping(), (e: NgError) => e.code === 'NG_TIMEOUT');
      assert.equal(daemon.seen.length - from, 3);
      assert.equal(c.pending, 0);
    } finally {
      await c.close();
    }
  });

  it('an error result rejects with its reason; delete of an unknown call is fine', async () => {
    mode = 'error';
    const c = new NgClient({ host: '127.0.0.1', port: daemon.port });
    try {
      await assert.rejects(
        c.answer({ 'call-id': 'x' }, 'v=0'),
        (e: NgError) => e.code === 'NG_ERROR' && /Unknown call-id/.test(e.message),
      );
      await c.delete({ 'call-id': 'x' });
      await c.close();
      await assert.rejects(c.ping(), (e: NgError) => e.code === 'NG_CLOSED');
    } finally {
      await c.close();
    }
  });
});
