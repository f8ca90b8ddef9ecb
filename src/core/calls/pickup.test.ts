import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Headers, type SipRequest } from '../../sip/message/index.js';
import type { OutgoingInvite } from '../../sip/ua/index.js';
import { ForkBranch } from './fork.js';
import { branchIds, connectedIdentityHeaders, namesBranch } from './pickup.js';

/** A branch whose INVITE went out with Call-ID `b1@pbx` and our From tag `ours`; the device answered 180 with `dev`. */
function branch(o: { done?: boolean; earlyTags?: string[] } = {}): ForkBranch {
  const request = {
    method: 'INVITE',
    headers: new Headers([
      ['Call-ID', 'b1@pbx'],
      ['From', '"Karin" <sip:100@acme.example>;tag=ours'],
      ['To', '<sip:201@acme.example>'],
    ]),
  } as unknown as SipRequest; // only the headers are read
  const b = new ForkBranch(
    {
      label: 'desk-a',
      device: 'desk-a',
      flow: {} as ForkBranch['target']['flow'],
      requestUri: 'sip:desk-a@x',
    },
    {} as ForkBranch['endpoint'],
    { request } as unknown as OutgoingInvite,
  );
  b.earlyTags.push(...(o.earlyTags ?? ['dev']));
  if (o.done) b.status = 486;
  return b;
}

describe('pickup helpers', () => {
  it('branchIds: the Call-ID and our From tag of the branch INVITE', () => {
    assert.deepEqual(branchIds(branch()), { callId: 'b1@pbx', fromTag: 'ours' });
  });

  it('namesBranch: both tag orientations, exact Call-ID and tags, only while the branch rings', () => {
    const b = branch();
    assert.equal(
      namesBranch(b, { callId: 'b1@pbx', toTag: 'ours', fromTag: 'dev' }),
      true,
      'RFC 3891 orientation',
    );
    assert.equal(namesBranch(b, { callId: 'b1@pbx', toTag: 'dev', fromTag: 'ours' }), true, 'swapped');
    assert.equal(namesBranch(b, { callId: 'b2@pbx', toTag: 'ours', fromTag: 'dev' }), false, 'other Call-ID');
    assert.equal(
      namesBranch(b, { callId: 'b1@pbx', toTag: 'ours', fromTag: 'other' }),
      false,
      'unknown device tag',
    );
    assert.equal(
      namesBranch(b, { callId: 'b1@pbx', toTag: 'dev', fromTag: 'dev' }),
      false,
      'our tag missing',
    );
    assert.equal(
      namesBranch(b, { callId: 'b1@pbx', toTag: 'ours', fromTag: 'ours' }),
      false,
      'device tag missing',
    );
    assert.equal(
      namesBranch(branch({ earlyTags: [] }), { callId: 'b1@pbx', toTag: 'ours', fromTag: '' }),
      false,
    );
    assert.equal(
      namesBranch(branch({ done: true }), { callId: 'b1@pbx', toTag: 'ours', fromTag: 'dev' }),
      false,
    );
    // A forking proxy behind the device may send 18x with several tags: each names the branch.
    const forked = branch({ earlyTags: ['dev', 'dev2'] });
    assert.equal(namesBranch(forked, { callId: 'b1@pbx', toTag: 'ours', fromTag: 'dev2' }), true);
  });

  it('connectedIdentityHeaders: PAI and Remote-Party-ID with the quoted name', () => {
    assert.deepEqual(connectedIdentityHeaders({ number: '100', name: 'Karin "K" Heiden' }, 'acme.example'), [
      ['P-Asserted-Identity', '"Karin \\"K\\" Heiden" <sip:100@acme.example>'],
      [
        'Remote-Party-ID',
        '"Karin \\"K\\" Heiden" <sip:100@acme.example>;party=calling;screen=yes;privacy=off',
      ],
    ]);
    assert.deepEqual(connectedIdentityHeaders({ number: '+4930123456' }, 'acme.example')[0], [
      'P-Asserted-Identity',
      '<sip:+4930123456@acme.example>',
    ]);
  });
});
