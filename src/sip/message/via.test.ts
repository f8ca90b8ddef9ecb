import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { branchOf, firstVia, formatVia, parseVia, parseVias, rememberFirstVia, viaBranch } from './via.js';

describe('parseVias', () => {
  test('one value with port and params', () => {
    const [v] = parseVias('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;rport;received=2001:db8::9')!;
    assert.deepEqual(v, {
      protocol: 'SIP/2.0',
      transport: 'UDP',
      host: '192.0.2.1',
      port: 5060,
      params: new Map([
        ['branch', 'z9hG4bK776'],
        ['rport', null],
        ['received', '2001:db8::9'],
      ]),
    });
    assert.equal(branchOf(v!), 'z9hG4bK776');
  });

  test('LWS around every separator and several values on one line (RFC 4475 wsinv)', () => {
    const vs = parseVias(
      'SIP  / 2.0  / tcp     spindle.example.com   ; branch  =   z9hG4bK9ikj8  , SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239',
    )!;
    assert.deepEqual(
      vs.map((v) => [v.transport, v.host, v.params.get('branch')]),
      [
        ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
        ['UDP', '192.168.255.111', 'z9hG4bK30239'],
      ],
    );
  });

  test('IPv6 sent-by, upper-case host lowered, LWS around the port colon', () => {
    const v = parseVia('SIP/2.0/WSS [2001:DB8::1] : 443;branch=z9hG4bKx')!;
    assert.equal(v.host, '[2001:db8::1]');
    assert.equal(v.port, 443);
    assert.equal(v.transport, 'WSS');
  });

  const invalid: Array<[string, string]> = [
    ['SIP/2.0/UDP 192.0.2.15;;,;,,', 'empty params and values (badinv01)'],
    ['SIP/2.0/UDP', 'no sent-by'],
    ['SIP/2.0/UDP192.0.2.1', 'no LWS before sent-by'],
    ['SIP/2.0 UDP h', 'missing slash'],
    ['SIP/2.0/UDP h:70000', 'port out of range'],
    ['SIP/2.0/UDP h:', 'empty port'],
    ['SIP/2.0/UDP h;branch=', 'empty value'],
    ['SIP/2.0/UDP h junk', 'junk after sent-by'],
    ['SIP/2.0/UDP [::1', 'unterminated IPv6'],
    ['SIP/2.0/UDP h, ', 'trailing empty value'],
    ['', 'empty'],
  ];
  for (const [s, why] of invalid)
    test(`rejects ${JSON.stringify(s)}: ${why}`, () => assert.equal(parseVias(s), undefined));
});

describe('formatVia and firstVia', () => {
  test('round trip', () => {
    const s = 'SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bKa;received=192.0.2.1;rport=5062;alias';
    assert.equal(formatVia(parseVia(s)!), s);
  });

  test('firstVia is the first value of a line', () => {
    assert.equal(firstVia('SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b')?.via.host, 'a');
    assert.equal(firstVia(''), undefined);
  });
});

describe('viaBranch', () => {
  test('agrees with parseVia + branchOf on good and bad values', () => {
    const cases = [
      'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;rport;received=2001:db8::9',
      'SIP/2.0/UDP 192.0.2.1;rport;BRANCH=z9hG4bKup;branch=second',
      'SIP / 2.0 / UDP   [2001:db8::1]:5070 ; branch = z9hG4bKsp',
      'SIP/2.0/UDP 192.0.2.1;branch="z9hG4bKq"',
      'SIP/2.0/UDP 192.0.2.1;branch',
      'SIP/2.0/UDP 192.0.2.1;rport',
      'SIP/2.0/UDP 192.0.2.1;;branch=z9hG4bKx',
      'SIP/2.0/UDP 192.0.2.1;branch=',
      'SIP/2.0/UDP192.0.2.1;branch=z9hG4bKx',
      'SIP/2.0/UDP 192.0.2.1:99999;branch=z9hG4bKx',
      'SIP/2.0/UDP [192.0.2.1];branch=z9hG4bKx',
      'SIP/2.0 192.0.2.1;branch=z9hG4bKx',
      'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx junk',
      'SIP/2.0/UDP 192.0.2.1;branchx=z9hG4bKx',
    ];
    for (const c of cases) {
      const v = parseVia(c);
      assert.equal(viaBranch(c), v && branchOf(v), c);
    }
    assert.equal(viaBranch('SIP/2.0/UDP 192.0.2.1;rport;BRANCH=z9hG4bKup;branch=second'), 'z9hG4bKup');
    assert.equal(viaBranch('SIP/2.0/UDP 192.0.2.1;;branch=z9hG4bKx'), undefined);
  });
});

describe('firstVia', () => {
  test('reads the first value of a line, whatever follows it, and answers the same line from its memo', () => {
    const line = 'SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKa1 , SIP/2.0/TCP 198.51.100.2;branch=z9hG4bKb2';
    const a = firstVia(line);
    assert.equal(a?.raw, 'SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKa1');
    assert.equal(a?.via.port, 5062);
    assert.equal(branchOf(a.via), 'z9hG4bKa1');
    assert.equal(firstVia(`${line}`), a, 'an equal line is the memo');
    const b = firstVia('SIP/2.0/UDP 203.0.113.7;branch=z9hG4bKc3');
    assert.equal(b?.via.host, '203.0.113.7');
    assert.notEqual(b, a);
    assert.equal(firstVia(line)?.via.host, '192.0.2.1', 'the memo moves on');
  });

  test('is undefined for an empty or malformed first value, and the memo keeps that too', () => {
    assert.equal(firstVia(''), undefined);
    assert.equal(firstVia('SIP/2.0/UDP192.0.2.1;branch=z9hG4bKx'), undefined);
    assert.equal(firstVia('SIP/2.0/UDP192.0.2.1;branch=z9hG4bKx'), undefined);
    assert.equal(firstVia('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKok, junk')?.via.host, '192.0.2.1');
  });

  test('answers a remembered line with the Via it was formatted from', () => {
    const via = parseVia('SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKr;rport')!;
    via.params.set('rport', '40000');
    via.params.set('received', '192.0.2.44');
    const raw = formatVia(via);
    const line = `${raw}, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKz`;
    rememberFirstVia(line, raw, via);
    assert.equal(firstVia(line)?.via, via);
    // What the memo holds is what parsing the line gives.
    const parsed = parseVia(raw)!;
    assert.deepEqual({ ...parsed, params: [...parsed.params] }, { ...via, params: [...via.params] });
  });
});
