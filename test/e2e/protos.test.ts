import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOS_CASES, protosUnavailable, runProtosCases, sipAlive } from '../../scripts/protos.mjs';
import { assertBaseline, DEMO_DOMAIN, startTestServer, type TestServer } from './support/server.js';

/**
 * PROTOS c07-sip (test/fixtures/protos): a fixed subset of the 4,527 malformed INVITEs — slices from the start,
 * the middle and the end of the suite, so every kind of field it mangles is among them — against a server with
 * bans off. The whole suite takes about ten minutes: `node scripts/protos.mjs`. Client ports lie in the 500 below
 * the server's RTP range (ZENTRALE_TEST_RTP_PORTS) so parallel runs do not meet.
 */
const BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;
const SLICES: Array<[number, number]> = [
  [0, 59],
  [900, 939],
  [1800, 1839],
  [2700, 2739],
  [3600, 3639],
  [PROTOS_CASES - 40, PROTOS_CASES - 1],
];
const unavailable = protosUnavailable();
if (unavailable) console.log(`# SKIPPED PROTOS c07-sip: ${unavailable}`);

describe('PROTOS c07-sip: malformed INVITEs', { skip: unavailable ?? false }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ args: ['--auth-ban-seconds', '0'] });
  });
  after(async () => {
    await t?.stop();
  });

  it('the server survives a fixed subset, answers what it parses, and ends at rest', async () => {
    const [host, port] = t.udp.split(':') as [string, string];
    let cases = 0;
    let answered = 0;
    for (const [i, [start, stop]] of SLICES.entries()) {
      const r = await runProtosCases({
        host,
        port: Number(port),
        lport: BASE + 200 + i,
        domain: DEMO_DOMAIN,
        start,
        stop,
      });
      assert.equal(
        r.exceptions,
        0,
        `cases ${start}..${stop}: the tool ran cleanly\n${r.output.slice(-2000)}`,
      );
      assert.equal(r.cases, stop - start + 1, `cases ${start}..${stop} all sent`);
      cases += r.cases;
      answered += r.cases - r.unanswered;
      assert.ok(await sipAlive(host, Number(port)), `alive after cases ${start}..${stop}`);
    }
    // Most cases are parseable (a 400 or a challenge); a few carry no usable Via or are too damaged to answer.
    assert.ok(answered >= cases * 0.9, `${answered} of ${cases} cases answered`);
    assert.equal(t.logs.filter((l) => Number(l.level) >= 50).length, 0, 'no error log lines');
    await assertBaseline(t, 15000);
  });
});
