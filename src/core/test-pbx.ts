/**
 * Test fixture: the SIP-facing core of the PBX (authenticator, registrar, location service, PbxSipService) as
 * peer b of the in-memory network (src/sip/ua/test-net.ts), on a real SQLite store provisioned from YAML. Peer a
 * plays the phone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { digestAuthorization } from '../sip/auth/digest-client.js';
import { DigestAuthenticator } from '../sip/auth/digest.js';
import type { SipResponse } from '../sip/message/index.js';
import { Net } from '../sip/ua/test-net.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import { createLogger } from '../util/log.js';
import { Directory } from './directory/directory.js';
import { parseProvisioning } from './provisioning/parse.js';
import { applyProvisioning } from './provisioning/plan.js';
import { LocationService } from './registrar/location-service.js';
import { Registrar } from './registrar/registrar.js';
import { AuthThrottle } from './security/auth-throttle.js';
import { RequestAuthenticator } from './security/request-authenticator.js';
import { PbxSipService } from './sip-service.js';

export const DOMAIN = 'pbx.example.com';
export const PASSWORD = 'Quiet-Harbor-Pa55word';

const YAML = `
tenants:
  - id: t1
    name: Test
    domain: ${DOMAIN}
    workplaces:
      - extension: '100'
        name: Anna
        devices:
          - { username: '100', password: '${PASSWORD}', kind: deskphone }
      - extension: '101'
        name: Ben
        devices:
          - { username: '101', password: 'Green-Valley-Pa55word', kind: softphone }
`;

export interface TestPbx {
  net: Net;
  store: Store;
  location: LocationService;
  throttle: AuthThrottle;
  service: PbxSipService;
  /** Structured log lines the core wrote (JSON-parsed). */
  logs: Array<Record<string, unknown>>;
  /** Sends an out-of-dialog request from peer a (the phone) and waits for the final response. */
  send(o: SendOptions): Promise<SipResponse>;
  /** Sends, and answers a 401/407 challenge once with the given password. */
  sendAuthenticated(o: SendOptions & { username?: string; password?: string }): Promise<SipResponse>;
  close(): Promise<void>;
}

export interface SendOptions {
  method: string;
  user?: string;
  requestUri?: string;
  headers?: Array<[string, string]>;
  callId?: string;
  cseq?: number;
}

export async function startTestPbx(o: { userThreshold?: number } = {}): Promise<TestPbx> {
  const dir = mkdtempSync(join(tmpdir(), 'zentrale-core-'));
  const store = await openStore(join(dir, 'pbx.sqlite'));
  await applyProvisioning(store, parseProvisioning(YAML, 'test.yaml'));
  const net = new Net();
  const clock = net.clock;
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
        cb();
      },
    }),
  });
  const directory = new Directory({ store: store.directory, clock });
  const location = new LocationService({ store: store.registrations, clock });
  await location.start();
  const throttle = new AuthThrottle({
    clock,
    ...(o.userThreshold ? { userThreshold: o.userThreshold } : {}),
  });
  const auth = new RequestAuthenticator({
    digest: new DigestAuthenticator({ clock }),
    directory,
    throttle,
    log,
  });
  const registrar = new Registrar({ location, minExpires: 60, maxExpires: 3600, now: () => clock.now() });
  const service = new PbxSipService({ auth, registrar, log });
  net.b.onApp = (tx) => service.onRequest(tx);

  let cseq = 1;
  const send = async (s: SendOptions): Promise<SipResponse> => {
    const user = s.user ?? '100';
    const pending = net.a.ua.request({
      method: s.method,
      flow: net.a.flowTo(net.b),
      requestUri: s.requestUri ?? (s.method === 'REGISTER' ? `sip:${DOMAIN}` : `sip:101@${DOMAIN}`),
      from: `<sip:${user}@${DOMAIN}>`,
      to: s.method === 'REGISTER' ? `<sip:${user}@${DOMAIN}>` : `<sip:101@${DOMAIN}>`,
      cseq: s.cseq ?? cseq++,
      ...(s.callId ? { callId: s.callId } : {}),
      ...(s.headers ? { headers: s.headers } : {}),
    });
    // The service answers asynchronously (store look-ups): let real I/O and the network settle.
    for (let i = 0; i < 50; i++) {
      await net.drain();
      const done = await Promise.race([pending, new Promise<undefined>((r) => setTimeout(r, 2))]);
      if (done) return done;
    }
    return pending;
  };
  return {
    net,
    store,
    location,
    throttle,
    service,
    logs,
    send,
    async sendAuthenticated(s) {
      const callId = s.callId ?? `call-${cseq}`;
      const first = await send({ ...s, callId });
      if (first.status !== 401 && first.status !== 407) return first;
      const uri = s.requestUri ?? (s.method === 'REGISTER' ? `sip:${DOMAIN}` : `sip:101@${DOMAIN}`);
      const answer = digestAuthorization(
        first,
        { method: s.method, uri },
        { username: s.username ?? s.user ?? '100', password: s.password ?? PASSWORD },
      );
      if (!answer) throw new Error('no usable challenge');
      return send({ ...s, callId, headers: [...(s.headers ?? []), answer] });
    },
    async close() {
      await net.finish();
      await location.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
