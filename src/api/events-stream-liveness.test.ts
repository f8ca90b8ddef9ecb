import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { LOGINS, startTestApi, type TestApi } from './test-api.js';

const HEARTBEAT_MS = 150;
const TTL_MS = 2500;

async function connect(t: TestApi, token: string, o: { autoPong?: boolean } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${t.port}/api/v1/events`, ['zentrale.v1', `bearer.${token}`], {
    autoPong: o.autoPong ?? true,
  });
  const types: string[] = [];
  let pings = 0;
  ws.on('message', (d: Buffer) => types.push((JSON.parse(d.toString()) as { type: string }).type));
  ws.on('ping', () => pings++);
  const closed = once(ws, 'close') as Promise<[number, Buffer]>;
  await once(ws, 'open');
  return { ws, types, pings: () => pings, closed };
}

describe('api: event stream heartbeat and session end', () => {
  let t: TestApi;
  before(async () => {
    t = await startTestApi({ extra: { streamHeartbeatMs: HEARTBEAT_MS, sessionTtlMs: TTL_MS } });
  });
  after(() => t.close());

  it('sends a ping frame and a heartbeat message every interval, after the snapshot', async () => {
    const c = await connect(t, await t.login(LOGINS.ben));
    await sleep(HEARTBEAT_MS * 4);
    assert.equal(c.types[0], 'snapshot');
    const beats = c.types.filter((x) => x === 'heartbeat').length;
    assert.ok(beats >= 2, `heartbeats: ${JSON.stringify(c.types)}`);
    assert.ok(c.pings() >= 2, `pings: ${c.pings()}`);
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    c.ws.close();
    await c.closed;
  });

  it('drops a client that does not answer the pings (4009)', async () => {
    const c = await connect(t, await t.login(LOGINS.ben), { autoPong: false });
    const [code] = await c.closed;
    assert.equal(code, 4009);
    assert.ok(c.pings() >= 1);
  });

  it('closes the stream with 4002 when the session expires; the token is refused from then on', async () => {
    const token = await t.login(LOGINS.anna);
    const started = Date.now();
    const c = await connect(t, token);
    const [code, reason] = await c.closed;
    assert.equal(code, 4002);
    assert.equal(reason.toString(), 'session expired');
    assert.ok(Date.now() - started >= TTL_MS - 500, `closed after ${Date.now() - started} ms`);
    assert.equal((await t.call(token, 'GET', '/api/v1/me')).status, 401);
  });

  it('closes the stream with 4001 when provisioning removes the login', async () => {
    const anna = await t.login(LOGINS.anna);
    const ben = await t.login(LOGINS.ben);
    const c = await connect(t, ben);
    const cur = (await t.call(anna, 'GET', '/api/v1/admin/workplaces/101')).json as Record<string, unknown>;
    const r = await t.call(anna, 'PUT', '/api/v1/admin/workplaces/101', {
      name: cur['name'],
      packages: cur['packages'],
      devices: (cur['devices'] as Array<{ username: string; kind: string }>).map((d) => ({
        username: d.username,
        kind: d.kind,
      })),
      webPassword: null,
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const [code] = await c.closed;
    assert.equal(code, 4001);
  });
});
