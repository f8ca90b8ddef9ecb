import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { agentStateEventBody, parseSetAgentState } from './as-feature-event.js';

// As Yealink/Poly phones send it (ISO-8859-1 declaration, CRLF, empty device, BroadSoft private data).
const SET = (state: string, extra = '') =>
  '<?xml version="1.0" encoding="ISO-8859-1"?>\r\n' +
  '<SetAgentState xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3">\r\n' +
  `<device></device>\r\n<requestedAgentState>${state}</requestedAgentState>\r\n${extra}` +
  '<agentID></agentID>\r\n<password></password>\r\n</SetAgentState>\r\n';

describe('as-feature-event (ACD)', () => {
  const table: Array<[string, string | undefined]> = [
    ['ready', 'available'],
    ['notReady', 'unavailable'],
    ['workingAfterCall', 'wrap-up'],
    ['loggedOn', 'signed-in'],
    ['loggedOff', 'signed-out'],
    ['busy', undefined],
    ['', undefined],
  ];
  for (const [csta, ours] of table) {
    it(`SetAgentState ${csta || '(empty)'} → ${ours ?? 'ignored'}`, () => {
      assert.equal(parseSetAgentState(SET(csta))?.status, ours);
    });
  }

  it('reads the BroadSoft unavailable reason code, with namespace prefixes', () => {
    const body = SET(
      'notReady',
      '<extensions><privateData><private xmlns:pri="http://schema.broadsoft.com/CSTAPrivateData">' +
        '<pri:AgentNotReadyReasonValue>12</pri:AgentNotReadyReasonValue></private></privateData></extensions>\r\n',
    );
    assert.deepEqual(parseSetAgentState(body), { status: 'unavailable', reasonCode: 12 });
    assert.deepEqual(parseSetAgentState(body.replace(/SetAgentState/g, 'csta:SetAgentState')), {
      status: 'unavailable',
      reasonCode: 12,
    });
  });

  it('ignores other features and empty refreshes', () => {
    assert.equal(parseSetAgentState(''), undefined);
    assert.equal(
      parseSetAgentState('<SetDoNotDisturb><doNotDisturbOn>true</doNotDisturbOn></SetDoNotDisturb>'),
      undefined,
    );
  });

  it('builds one well-formed event element per status, escaping the device', () => {
    const parser = new XMLParser({ ignoreAttributes: false });
    const cases: Array<[Parameters<typeof agentStateEventBody>[0], string]> = [
      ['available', 'AgentReadyEvent'],
      ['unavailable', 'AgentNotReadyEvent'],
      ['wrap-up', 'AgentWorkingAfterCallEvent'],
      ['signed-in', 'AgentLoggedOnEvent'],
      ['signed-out', 'AgentLoggedOffEvent'],
    ];
    for (const [status, root] of cases) {
      const doc = parser.parse(agentStateEventBody(status, '1<0&1')) as Record<
        string,
        Record<string, unknown>
      >;
      assert.ok(doc[root], `${status} → ${root}`);
      assert.equal(doc[root]!['@_xmlns'], 'http://www.ecma-international.org/standards/ecma-323/csta/ed3');
      assert.equal(doc[root]!.device, '1<0&1');
    }
  });
});
