import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestPhone } from '../support/test-phone.js';
import { ApiClient } from './support/api-client.js';
import {
  assertBaseline,
  DEMO_DOMAIN,
  DEMO_PASSWORDS,
  DEMO_WEB_PASSWORDS,
  startTestServer,
  type TestServer,
} from './support/server.js';

/**
 * Third-party call control through the API, with real phones on the SIP side: click-to-dial from a desk phone
 * (auto-answer hints), hold and resume, hang-up, directed pickup. These need the engine's call control
 * (`CallEngine.control`); a build without it skips them (its call routes answer 501, tested in api.test.ts).
 */
const PORT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;

describe('e2e: call control through the API', () => {
  let t: TestServer;
  const phones: TestPhone[] = [];
  const clients: ApiClient[] = [];
  const phone = async (user: string, n: number): Promise<TestPhone> => {
    const password = DEMO_PASSWORDS[user] ?? { '102': 'demo-Krueger-Pa55word' }[user]!;
    const p = await TestPhone.open({
      user,
      password,
      domain: DEMO_DOMAIN,
      server: t.udp,
      port: PORT_BASE + 20 + n,
    });
    phones.push(p);
    assert.equal((await p.register()).status, 200);
    return p;
  };
  const client = async (ext: string) => {
    const c = new ApiClient(t.server.httpPort);
    clients.push(c);
    assert.equal(await c.login(DEMO_DOMAIN, ext, DEMO_WEB_PASSWORDS[ext]!), 201);
    return c;
  };
  /** Skips when the server has no call control; true when the test may go on. */
  const needsControl = (ctx: TestContext): boolean => {
    if ((t.server.calls as unknown as { control?: unknown }).control !== undefined) return true;
    ctx.skip('call control is not in this build');
    return false;
  };

  before(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.closeStreams();
    for (const p of phones.splice(0)) await p.close();
    await assertBaseline(t);
  });
  after(() => t.stop());

  it('click-to-dial: the desk phone is rung with auto-answer hints, then the target; audio flows both ways; hold, resume, hang up', async (ctx) => {
    if (!needsControl(ctx)) return;
    const karin = await client('100');
    const desk = await phone('100', 1);
    const callee = await phone('101', 2);
    callee.behaviour = { answerAfterMs: 200 };
    const stream = await karin.stream();
    await stream.waitFor((m) => m.type === 'snapshot');

    const deskAnswered = desk.nextAnswered();
    const calleeAnswered = callee.nextAnswered();
    const r = await karin.request('POST', '/api/v1/calls', { device: '100', to: '101' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const callId = String(r.json['callId']);
    const [invite] = await desk.waitForInvites(1);
    assert.match(invite!.request.headers.get('Call-Info') ?? '', /answer-after=0/);
    assert.match(invite!.request.headers.get('Alert-Info') ?? '', /info=alert-autoanswer/);
    const [dd, cd] = await Promise.all([deskAnswered, calleeAnswered]);
    await stream.waitFor((m) => m.type === 'call.answered');

    // RTP both ways through the relay.
    await desk.sendRtp(dd, 10);
    await callee.sendRtp(cd, 10);
    await sleep(300);
    assert.ok(callee.rtp.packetsIn >= 5, `callee got ${callee.rtp.packetsIn} packets`);
    assert.ok(desk.rtp.packetsIn >= 5, `desk got ${desk.rtp.packetsIn} packets`);

    const calls = (await karin.request('GET', '/api/v1/calls')).json as unknown as Array<{
      id: string;
      state: string;
    }>;
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.state, 'talking');
    const id = calls[0]!.id;
    assert.equal((await karin.request('POST', `/api/v1/calls/${id}/hold`)).status, 204);
    await stream.waitFor((m) => m.type === 'call.held');
    assert.equal(
      ((await karin.request('GET', '/api/v1/calls')).json as unknown as Array<{ state: string }>)[0]!.state,
      'held',
    );
    assert.equal((await karin.request('POST', `/api/v1/calls/${id}/resume`)).status, 204);
    await stream.waitFor((m) => m.type === 'call.resumed');
    assert.equal((await karin.request('POST', `/api/v1/calls/${id}/hangup`)).status, 204);
    await stream.waitFor((m) => m.type === 'call.ended');
    assert.deepEqual((await karin.request('GET', '/api/v1/calls')).json, []);
    // The dial answer's id is the call the stream and the list show (or the leg that started it).
    assert.ok(callId.length > 0);
  });

  it("directed pickup by API: a colleague's ringing call is taken on my desk phone", async (ctx) => {
    if (!needsControl(ctx)) return;
    const karin = await client('100');
    const jonas = await client('101');
    const desk = await phone('100', 3);
    const ringing = await phone('101', 4);
    const caller = await phone('102', 5);
    ringing.behaviour = 'ignore';
    const js = await jonas.stream();
    await js.waitFor((m) => m.type === 'snapshot');
    const placed = caller.place('101');
    const ring = await js.waitFor((m) => m.type === 'call.ringing');
    const deskAnswered = desk.nextAnswered();
    const r = await karin.request('POST', '/api/v1/calls/pickup', {
      device: '100',
      callId: ring.data['callId'],
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    await deskAnswered;
    const result = await placed.result;
    assert.equal(result.status, 200);
    const picked = await js.waitFor((m) => m.type === 'call.picked-up');
    assert.equal((picked.data['by'] as { workplace: string }).workplace, '100');
    // Another tenant cannot touch the call: 404 as for an unknown one.
    const petra = new ApiClient(t.server.httpPort);
    clients.push(petra);
    assert.equal(await petra.login('other.zentrale.test', '100', 'web-Lorenz-Pa55word'), 201);
    const calls = (await karin.request('GET', '/api/v1/calls')).json as unknown as Array<{ id: string }>;
    assert.equal((await petra.request('POST', `/api/v1/calls/${calls[0]!.id}/hangup`)).status, 404);
    assert.equal((await karin.request('POST', `/api/v1/calls/${calls[0]!.id}/hangup`)).status, 204);
  });
});
