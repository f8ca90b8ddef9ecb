/** Test support for the API's unit tests: the real API over an in-memory store, with fake PBX ports. */
import Fastify, { type FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import type { CallControl } from '../core/calls/call-control-types.js';
import { Directory } from '../core/directory/directory.js';
import { EventBus } from '../core/events/event-bus.js';
import type { AgentStatusName } from '../core/events/types.js';
import { Provisioner } from '../core/provisioning/provisioner.js';
import { parseProvisioning } from '../core/provisioning/parse.js';
import { applyProvisioning } from '../core/provisioning/plan.js';
import { AuthThrottle } from '../core/security/auth-throttle.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import { SystemClock } from '../util/clock.js';
import { createLogger } from '../util/log.js';
import type { ApiDeps, CallCenterPort, CallTraceReader, QueueView } from './api-deps.js';
import { Api } from './api.js';
import { ApiError, sendError, toApiError } from './errors.js';

export const FIXTURE = `
tenants:
  - id: acme
    name: Acme
    domain: acme.example
    groups:
      - { extension: "600", name: Support, agents: ["100", "101"] }
    workplaces:
      - extension: "100"
        name: Anna Admin
        packages: [group]
        webPassword: "Anna-Web-Pa55word"
        role: admin
        blf: ["101"]
        devices: [{ username: anna-desk, password: "Desk-Pa55-word-A" }]
      - extension: "101"
        name: Ben User
        packages: [group]
        webPassword: "Ben-Web-Pa55word"
        devices: [{ username: ben-soft, password: "Soft-Pa55-word-B", kind: softphone }]
      - extension: "102"
        name: Cleo NoLogin
  - id: other
    name: Other
    domain: other.example
    workplaces:
      - extension: "100"
        name: Olga Other
        webPassword: "Olga-Web-Pa55word"
        role: admin
      - extension: "105"
        name: Otto Other
        webPassword: "Otto-Web-Pa55word"
`;

export const LOGINS = {
  anna: { domain: 'acme.example', extension: '100', password: 'Anna-Web-Pa55word' },
  ben: { domain: 'acme.example', extension: '101', password: 'Ben-Web-Pa55word' },
  olga: { domain: 'other.example', extension: '100', password: 'Olga-Web-Pa55word' },
} as const;

/** A call-center port that keeps status and logins in memory. */
export class FakeCallCenter implements CallCenterPort {
  readonly status = new Map<string, AgentStatusName>([
    ['acme/100', 'signed-out'],
    ['acme/101', 'available'],
  ]);
  readonly logins = new Set<string>();
  async groupsOf(tenantId: string, workplace: string) {
    if (tenantId !== 'acme' || !['100', '101'].includes(workplace)) return [];
    return [
      { extension: '600', name: 'Support', loggedIn: this.logins.has(workplace), allowAgentLogin: true },
    ];
  }
  async statusOf(tenantId: string, workplace: string) {
    return this.status.get(`${tenantId}/${workplace}`);
  }
  async setStatus(tenantId: string, workplace: string, s: AgentStatusName) {
    if (!this.status.has(`${tenantId}/${workplace}`)) return undefined;
    this.status.set(`${tenantId}/${workplace}`, s);
    return s;
  }
  async setLogin(tenantId: string, group: string, workplace: string, loggedIn: boolean) {
    if (tenantId !== 'acme' || group !== '600') return 'unknown-group' as const;
    if (!['100', '101'].includes(workplace)) return 'not-agent' as const;
    if (loggedIn) this.logins.add(workplace);
    else this.logins.delete(workplace);
    return 'ok' as const;
  }
  async queue(tenantId: string, group: string): Promise<QueueView | undefined> {
    if (tenantId !== 'acme' || group !== '600') return undefined;
    return {
      waiting: [{ callId: 'q1', caller: { number: '+4930999' }, arrivedAt: Date.now() - 5000, ringing: [] }],
      agents: [
        { extension: '100', status: 'signed-out', loggedIn: false, onCall: false },
        { extension: '101', status: 'available', loggedIn: true, onCall: false },
      ],
    };
  }
}

export interface TestApi {
  app: FastifyInstance;
  api: Api;
  store: Store;
  bus: EventBus;
  port: number;
  logs: string[];
  login(who: { domain: string; extension: string; password: string }): Promise<string>;
  /** A request with the token; body as JSON when given. */
  call(
    token: string | undefined,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> & { error?: string; field?: string } }>;
  close(): Promise<void>;
}

/** The API on a Fastify instance listening on loopback (the event stream needs a real socket). */
export async function startTestApi(
  o: {
    calls?: CallControl;
    store?: Store;
    streamMaxBuffered?: number;
    trace?: CallTraceReader;
    /** The feature ports and stream settings a test needs beyond the defaults. */
    extra?: Partial<
      Pick<
        ApiDeps,
        'executives' | 'forwarding' | 'voicemail' | 'sessionTtlMs' | 'streamHeartbeatMs' | 'clock'
      >
    >;
  } = {},
): Promise<TestApi> {
  const store = o.store ?? (await openStore('sqlite::memory:'));
  if (!o.store) await applyProvisioning(store, parseProvisioning(FIXTURE, 'fixture.yaml'));
  const clock = new SystemClock();
  const logs: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        logs.push(chunk.toString());
        cb();
      },
    }),
  });
  const bus = new EventBus();
  const directory = new Directory({ store: store.directory, clock });
  const provisioner = new Provisioner({ store });
  const api = new Api({
    store,
    clock,
    log,
    bus,
    throttle: new AuthThrottle({ clock, userThreshold: 5 }),
    directory,
    registrations: { lookup: () => [] },
    presence: { lampOf: () => 'idle' },
    callCenter: new FakeCallCenter(),
    provisioner,
    calls: o.calls,
    ...(o.trace ? { trace: o.trace } : {}),
    ...(o.streamMaxBuffered !== undefined ? { streamMaxBuffered: o.streamMaxBuffered } : {}),
    ...o.extra,
  });
  provisioner.onProvisioned(async () => {
    directory.invalidate();
    await api.provisioned();
  });
  const app = Fastify({ logger: false });
  api.register(app);
  app.setErrorHandler((err: Error, _req, reply) => sendError(reply, toApiError(err)));
  app.setNotFoundHandler((_req, reply) => sendError(reply, new ApiError('NOT_FOUND', 'no route')));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const call: TestApi['call'] = async (token, method, url, body) => {
    const r = await app.inject({
      method,
      url,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: r.statusCode, json: r.body ? (JSON.parse(r.body) as Record<string, unknown>) : {} };
  };
  return {
    app,
    api,
    store,
    bus,
    port,
    logs,
    call,
    login: async (who) => {
      const r = await call(undefined, 'POST', '/api/v1/sessions', who);
      if (r.status !== 201) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json['token'] as string;
    },
    close: async () => {
      api.close();
      await app.close();
      if (!o.store) await store.close();
    },
  };
}
