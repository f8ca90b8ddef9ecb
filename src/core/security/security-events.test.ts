import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../util/log.js';
import { SecurityEvents } from './security-events.js';

/** The fail2ban `failregex` of docs/security.md, with fail2ban's <HOST> as a capture group. */
const FAILREGEX = String.raw`"event":"(?:auth\.failure|auth\.ban|flood\.ban|fraud\.refused)","source":"<HOST>"`;

test('every security event is one JSON line the documented fail2ban regex finds the source in', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const events = new SecurityEvents(createLogger({ destination: sink }).child({ layer: 'security' }));
  events.emit('auth.failure', '192.0.2.7', { tenant: 'acme', user: '100', reason: 'bad-credentials' }, 'x');
  events.emit('auth.ban', '2001:db8::7', { scope: 'user' }, 'x');
  events.emit('flood.ban', '192.0.2.8', { seconds: 300 }, 'x');
  events.emit('fraud.refused', '192.0.2.9', { tenant: 'acme', reason: 'premium' }, 'x');
  events.emit('flood.limited', '192.0.2.10', {}, 'x');
  await new Promise((r) => setImmediate(r));
  const re = new RegExp(FAILREGEX.replace('<HOST>', '(?<host>[0-9A-Fa-f.:]+)'));
  const hosts = lines.map((l) => re.exec(l)?.groups?.['host']);
  assert.deepEqual(hosts, ['192.0.2.7', '2001:db8::7', '192.0.2.8', '192.0.2.9', undefined]);
  assert.deepEqual(events.counters(), {
    authFailures: 1,
    bans: 2,
    floodBans: 1,
    floodDropped: 0,
    fraudRefused: 1,
  });
});
