import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dialogInfoXml } from '../../sip/event/dialog-info.js';
import { blfDialogInfo } from './blf-dialog-info.js';
import type { DialogView } from './presence-state.js';

const ringing: DialogView = {
  id: 'c1:in',
  callId: 'c1',
  direction: 'recipient',
  phase: 'early',
  local: { workplace: '202', number: '202', name: 'Ben' },
  remote: { number: '+4930123', name: 'Müller & <Co>' },
  held: false,
  since: 1000,
};

describe('blfDialogInfo', () => {
  it('maps a ringing dialog with the leg identifiers for pickup', () => {
    const doc = blfDialogInfo({
      domain: 'acme.example',
      workplace: '202',
      version: 2,
      state: 'full',
      dialogs: [ringing],
      now: 4500,
      legOf: (d) =>
        d.callId === 'c1' ? { callId: 'sip-1@pbx', localTag: 'lt', remoteTag: 'rt' } : undefined,
    });
    assert.deepEqual(doc, {
      entity: 'sip:202@acme.example',
      version: 2,
      state: 'full',
      dialogs: [
        {
          id: 'c1:in',
          callId: 'sip-1@pbx',
          localTag: 'lt',
          remoteTag: 'rt',
          direction: 'recipient',
          state: 'early',
          duration: 3.5,
          local: { identity: 'sip:202@acme.example', displayName: 'Ben' },
          remote: { identity: 'sip:+4930123@acme.example', displayName: 'Müller & <Co>' },
        },
      ],
    });
    assert.match(dialogInfoXml(doc), /<duration>3<\/duration>/);
  });

  it('marks hold on the local target and can hide the remote party', () => {
    const doc = blfDialogInfo({
      domain: 'x',
      workplace: '202',
      version: 0,
      state: 'partial',
      dialogs: [{ ...ringing, phase: 'confirmed', held: true }],
      hideRemote: true,
    });
    assert.equal(doc.dialogs[0]?.remote, undefined);
    assert.equal(doc.dialogs[0]?.callId, undefined);
    assert.deepEqual(doc.dialogs[0]?.local?.targetParams, { '+sip.rendering': 'no' });
  });
});
