import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countsAsGauges, formatMetrics } from './metrics.js';

test('formats counters and gauges in the Prometheus text format', () => {
  const text = formatMetrics([
    { name: 'auth_failures_total', help: 'failed digest checks', type: 'counter', value: 3 },
    ...countsAsGauges({ serverTransactions: 2 }),
  ]);
  assert.equal(
    text,
    [
      '# HELP zentrale_auth_failures_total failed digest checks',
      '# TYPE zentrale_auth_failures_total counter',
      'zentrale_auth_failures_total 3',
      '# HELP zentrale_server_transactions live serverTransactions (as in /debug/counts)',
      '# TYPE zentrale_server_transactions gauge',
      'zentrale_server_transactions 2',
      '',
    ].join('\n'),
  );
});
