import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ExternalRoutes, TrunkTarget } from '../../core/calls/external-routes.js';
import { TenantPlan } from '../../core/directory/directory.js';
import { openStore } from '../../store/open-store.js';
import type { Store, WorkplaceRecord } from '../../store/types.js';
import { createLogger } from '../../util/log.js';
import { featureKeyDocuments, parseFeatureKeyRequests } from './feature-key-bodies.js';
import { ForwardingService } from './forwarding-service.js';

const NS = 'xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"';
const wp = (tenantId: string, extension: string): WorkplaceRecord => ({
  tenantId,
  extension,
  name: `WP ${extension}`,
  email: null,
  language: 'de',
  packages: [],
});
const PLANS: Record<string, TenantPlan> = {
  acme: new TenantPlan([wp('acme', '100'), wp('acme', '101')], []),
  beta: new TenantPlan([wp('beta', '100'), wp('beta', '300')], []),
};
/** acme has a trunk (outside line '0'); beta has none. */
const external: ExternalRoutes = {
  externalPrefix: async (t) => (t === 'acme' ? '0' : undefined),
  outbound: async (t) => (t === 'acme' ? ({ trunkId: 'carrier' } as TrunkTarget) : undefined),
  inbound: async () => undefined,
};
const log = createLogger({ level: 'silent' });

describe('ForwardingService', () => {
  let store: Store;
  const service = () =>
    new ForwardingService({
      store,
      directory: { plan: async (t) => PLANS[t] ?? new TenantPlan([], []) },
      external,
      log,
    });
  before(async () => {
    store = await openStore('sqlite::memory:');
    for (const id of ['acme', 'beta']) {
      await store.provisioning.upsertTenant({ id, name: id, domain: `${id}.example` });
      for (const e of PLANS[id]!.extensions) await store.provisioning.upsertWorkplace(wp(id, e));
    }
  });
  after(() => store.close());

  it('resolves targets in the dialler’s tenant only; itself, codes and undiallable numbers are refused', async () => {
    const f = service();
    assert.deepEqual(await f.resolveTarget('acme', '100', '101'), { kind: 'extension', number: '101' });
    assert.deepEqual(await f.resolveTarget('acme', '100', '030123'), { kind: 'external', number: '30123' });
    assert.deepEqual(await f.resolveTarget('acme', '100', '+4930123'), {
      kind: 'external',
      number: '+4930123',
    });
    assert.deepEqual(await f.resolveTarget('acme', '100', '100'), {
      status: 403,
      reason: 'Cannot Forward To Itself',
    });
    assert.deepEqual(await f.resolveTarget('acme', '100', '300'), {
      status: 404,
      reason: 'Forward Target Not Found',
    });
    assert.deepEqual(await f.resolveTarget('acme', '100', '*97'), {
      status: 404,
      reason: 'Forward Target Not Found',
    });
    // beta has no trunk: no outside target, and acme's 101 is not beta's.
    assert.deepEqual(await f.resolveTarget('beta', '100', '+4930123'), {
      status: 403,
      reason: 'Forward Target Not Allowed',
    });
    assert.deepEqual(await f.resolveTarget('beta', '100', '101'), {
      status: 404,
      reason: 'Forward Target Not Found',
    });
  });

  it('stores changes, tells the listeners, answers isDnd from memory and survives a new instance', async () => {
    const f = service();
    const seen: string[] = [];
    f.onChange((t, w, s) => seen.push(`${t}/${w} dnd=${s.dnd}`));
    assert.equal(f.isDnd('acme', '101'), false);
    await f.update('acme', '101', (s) => void (s.dnd = true));
    assert.equal(f.isDnd('acme', '101'), true);
    assert.equal(f.isDnd('beta', '101'), false, 'per tenant');
    assert.deepEqual(seen, ['acme/101 dnd=true']);
    const again = service();
    await again.preload();
    assert.equal(again.isDnd('acme', '101'), true, 'known before any other question after preload');
    assert.equal((await again.settings('acme', '101')).dnd, true);
    assert.equal((await again.settings('beta', '100')).dnd, false);
    await f.update('acme', '101', (s) => void (s.dnd = false));
  });

  it('the terminating service stays out of calls without rules, and of calls that bypass it', async () => {
    const f = service();
    const svc = f.terminating(() => []);
    const req = {
      tenant: { id: 'acme', name: 'acme', domain: 'acme.example' },
      caller: { number: '300' },
      callee: { workplace: '100', number: '100' },
      origin: 'internal' as const,
      diversions: [],
    };
    const ctx = {} as Parameters<typeof svc.plan>[1];
    assert.equal(await svc.plan(req, ctx), undefined);
    await f.update('acme', '100', (s) => void (s.dnd = true));
    assert.ok(await svc.plan(req, ctx));
    assert.equal(await svc.plan({ ...req, bypass: new Set(['forwarding']) }, ctx), undefined);
    await f.update('acme', '100', (s) => void (s.dnd = false));
  });

  it('feature keys: SetDoNotDisturb and SetForwarding set the workplace; a refused number changes nothing', async () => {
    const f = service();
    const part = f.featureKeyPart();
    await part.received(
      'acme',
      '100',
      `<SetDoNotDisturb ${NS}><device>100</device><doNotDisturbOn>true</doNotDisturbOn></SetDoNotDisturb>`,
    );
    await part.received(
      'acme',
      '100',
      `<SetForwarding ${NS}><device>100</device><forwardingType>forwardNoAns</forwardingType>` +
        `<activateForward>true</activateForward><forwardDN>101</forwardDN><ringCount>3</ringCount></SetForwarding>`,
    );
    await part.received(
      'acme',
      '100',
      `<SetForwarding ${NS}><forwardingType>forwardImmediate</forwardingType>` +
        `<activateForward>true</activateForward><forwardDN>300</forwardDN></SetForwarding>`,
    );
    const s = await f.settings('acme', '100');
    assert.equal(s.dnd, true);
    assert.deepEqual(s.noAnswer, {
      enabled: true,
      target: { kind: 'extension', number: '101' },
      seconds: 15,
    });
    assert.deepEqual(s.always, { enabled: false, target: null });
    const docs = await part.documents('acme', '100');
    assert.equal(docs.length, 4);
    assert.match(docs[0]!, /<DoNotDisturbEvent [^>]*>[\s\S]*<doNotDisturbOn>true<\/doNotDisturbOn>/);
    assert.match(
      docs[3]!,
      /<forwardingType>forwardNoAns<\/forwardingType>\r\n<forwardStatus>true<\/forwardStatus>\r\n<forwardTo>101<\/forwardTo>\r\n<ringCount>3<\/ringCount>/,
    );
    assert.match(
      docs[1]!,
      /<forwardingType>forwardImmediate<\/forwardingType>\r\n<forwardStatus>false<\/forwardStatus>/,
    );
  });
});

describe('feature key bodies', () => {
  it('reads several set requests, with prefixes, and skips what it does not know', () => {
    const body =
      `<x:SetDoNotDisturb xmlns:x="urn:x"><x:doNotDisturbOn> false </x:doNotDisturbOn></x:SetDoNotDisturb>` +
      `<SetForwarding><forwardingType>forwardBusy</forwardingType><activateForward>false</activateForward></SetForwarding>` +
      `<SetForwarding><forwardingType>forwardDND</forwardingType><activateForward>true</activateForward></SetForwarding>` +
      `<SetDoNotDisturb><doNotDisturbOn>maybe</doNotDisturbOn></SetDoNotDisturb>` +
      `<SetAgentState><requestedAgentState>ready</requestedAgentState></SetAgentState>`;
    assert.deepEqual(parseFeatureKeyRequests(body), [
      { kind: 'dnd', on: false },
      { kind: 'forwarding', rule: 'busy', on: false },
    ]);
  });

  it('escapes what it puts into the documents', () => {
    const docs = featureKeyDocuments(
      {
        always: { enabled: true, target: { kind: 'voicemail' } },
        busy: { enabled: false, target: null },
        noAnswer: { enabled: false, target: null, seconds: 20 },
        notReachable: { enabled: false, target: null },
        dnd: false,
      },
      '1<0',
    );
    assert.match(docs[0]!, /<device>1&lt;0<\/device>/);
    assert.match(docs[1]!, /<forwardStatus>true<\/forwardStatus>\r\n<forwardTo>voicemail<\/forwardTo>/);
    assert.match(docs[3]!, /<ringCount>4<\/ringCount>/);
  });
});
