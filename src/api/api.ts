import type { FastifyInstance } from 'fastify';
import { adminRoutes } from './admin.js';
import { adminExecutiveRoutes } from './admin-executives.js';
import { adminTrunkRoutes } from './admin-trunks.js';
import type { ApiDeps } from './api-deps.js';
import { blfRoutes } from './blf.js';
import { callTraceRoutes } from './call-trace.js';
import { callCenterRoutes } from './callcenter.js';
import { callRoutes } from './calls.js';
import { clientInfoRoutes } from './client-info.js';
import { contactRoutes } from './contacts.js';
import { EventStream } from './events-stream.js';
import { executiveRoutes } from './executive.js';
import { forwardingRoutes } from './forwarding.js';
import { historyRoutes } from './history.js';
import { meRoutes } from './me.js';
import { meSettingsRoutes } from './me-settings.js';
import { openApiDocument } from './openapi.js';
import { RouteTable } from './route-table.js';
import { SessionService } from './session-service.js';
import { sessionRoutes } from './sessions.js';
import { TenantEditor } from './tenant-edit.js';
import { tenantYamlRoutes } from './tenant-yaml.js';
import { voicemailRoutes } from './voicemail.js';
import { WallboardBook } from './wallboard-book.js';
import { wallboardRoutes } from './wallboard.js';
import { workplaceRoutes } from './workplaces.js';
import { webrtcRoutes } from './webrtc.js';

/** JSON bodies of the API are small; a larger one is refused with 413 before it is parsed. */
export const API_BODY_LIMIT = 65_536;
const VERSION = '1.0.0';

/**
 * The HTTP API (`/api/v1`) and its event stream, built from the PBX's services. The composition root builds
 * one, registers it on the HTTP server and calls `provisioned()` after every provisioning run.
 */
export class Api {
  readonly sessions: SessionService;
  readonly routes = new RouteTable();
  readonly #deps: ApiDeps;
  #stream: EventStream | undefined;
  readonly #wallboard: WallboardBook;

  constructor(deps: ApiDeps) {
    this.#deps = deps;
    this.sessions = new SessionService({
      store: deps.store,
      clock: deps.clock,
      throttle: deps.throttle,
      log: deps.log,
      ...(deps.sessionTtlMs !== undefined ? { ttlMs: deps.sessionTtlMs } : {}),
    });
    const editor = new TenantEditor(deps);
    sessionRoutes(this.routes, this.sessions);
    meRoutes(this.routes, deps);
    meSettingsRoutes(this.routes, editor);
    webrtcRoutes(this.routes, deps);
    // A browser's SIP credentials end with its web session.
    if (deps.webrtc) this.sessions.onRevoked((h) => deps.webrtc?.revoke(h));
    workplaceRoutes(this.routes, deps);
    callRoutes(this.routes, deps.calls);
    blfRoutes(this.routes, deps, editor);
    callCenterRoutes(this.routes, deps);
    historyRoutes(this.routes, deps);
    executiveRoutes(this.routes, deps, editor);
    forwardingRoutes(this.routes, deps);
    voicemailRoutes(this.routes, deps);
    clientInfoRoutes(this.routes, deps);
    contactRoutes(this.routes, deps);
    adminRoutes(this.routes, deps, editor);
    adminTrunkRoutes(this.routes, deps, editor);
    adminExecutiveRoutes(this.routes, deps, editor);
    callTraceRoutes(this.routes, deps);
    tenantYamlRoutes(this.routes, deps, editor);
    // The book listens from the start, like the stream's hub, so the day's figures miss no event.
    this.#wallboard = new WallboardBook(deps.clock);
    this.#wallboard.start(deps.bus);
    wallboardRoutes(this.routes, deps, this.#wallboard, (t) => this.#stream?.seq(t) ?? 0);
  }

  /** Adds the routes, the OpenAPI document and the event stream to `app` (before it listens). */
  register(app: FastifyInstance): void {
    const doc = openApiDocument(this.routes, VERSION);
    app.get('/api/v1/openapi.json', async () => doc);
    this.routes.register(app, this.sessions, API_BODY_LIMIT);
    this.#stream = new EventStream(this.#deps, this.sessions);
    this.#stream.attach(app.server);
  }

  /** After provisioning: cached sessions and the stream clients' BLF lists and groups are re-read. */
  async provisioned(): Promise<void> {
    this.sessions.invalidate();
    await this.#stream?.refresh();
  }

  /** Open event streams (for the leak checks). */
  streams(): number {
    return this.#stream?.count() ?? 0;
  }

  close(): void {
    this.#wallboard.stop();
    this.#stream?.close();
  }
}
