import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TimerHandle } from '../util/clock.js';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiDeps } from './api-deps.js';
import { callJson } from './calls.js';
import { ApiError } from './errors.js';
import { EventHub, type StreamClient } from './event-hub.js';
import type { Principal, SessionService } from './session-service.js';

export const EVENTS_PATH = '/api/v1/events';
/** The subprotocol a client offers (with `bearer.<token>` beside it) and the server selects. */
export const STREAM_PROTOCOL = 'zentrale.v1';

/** Close codes (4000-4999 are the application's, RFC 6455 section 7.4.2). */
export const CLOSE = {
  /** Logged out, or the login was removed by provisioning. */
  LOGGED_OUT: 4001,
  /** The session's token expired: log in again. */
  SESSION_EXPIRED: 4002,
  SLOW_CONSUMER: 4008,
  /** No pong to the last heartbeat ping: the peer is gone (RFC 6455 section 5.5.2). */
  NO_PONG: 4009,
  SHUTDOWN: 1001,
} as const;

/** setTimeout's longest delay (about 24.8 days); a later expiry is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `GET /api/v1/events`: the WebSocket event stream, on the API's own HTTP server (the SIP WebSocket transport
 * listens on its own port). Authentication happens before the upgrade, with the session token in
 * `Sec-WebSocket-Protocol: zentrale.v1, bearer.<token>` (browsers cannot set headers on a WebSocket) or in
 * `Authorization: Bearer <token>`; never in the query string, which ends up in logs. The first message is a
 * snapshot (my calls, my BLF lamps, my agent state) with the tenant's sequence number, or — after a reconnect
 * with `?since=<seq>` — a `resumed` marker followed by the events missed. A client that does not read is cut
 * off with close code 4008 once its send buffer exceeds the limit, instead of growing our memory.
 *
 * Heartbeat: every `streamHeartbeatMs` each client gets a WebSocket ping (RFC 6455 section 5.5.2) and a
 * `{"type":"heartbeat"}` message (browsers see no ping frames, so a page learns from the message that the stream
 * is alive); a client that did not answer the previous ping with a pong is dropped. The stream ends with 4002
 * when the session's token expires and 4001 when it is logged out or its login is removed.
 */
export class EventStream {
  readonly #deps: ApiDeps;
  readonly #sessions: SessionService;
  readonly #hub: EventHub;
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: 4096,
    handleProtocols: (protocols) => (protocols.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false),
  });
  readonly #maxBuffered: number;
  readonly #live = new Map<WebSocket, MutableClient>();
  readonly #offRevoked: () => void;
  readonly #heartbeatMs: number;
  #beat: TimerHandle | undefined;

  constructor(deps: ApiDeps, sessions: SessionService) {
    this.#deps = deps;
    this.#sessions = sessions;
    this.#hub = new EventHub({ replay: deps.streamReplay ?? 1000 });
    this.#hub.start(deps.bus);
    this.#maxBuffered = deps.streamMaxBuffered ?? 1_048_576;
    this.#offRevoked = sessions.onRevoked((h) => {
      for (const [ws, c] of this.#live) if (c.who.tokenHash === h) ws.close(CLOSE.LOGGED_OUT, 'logged out');
    });
    this.#heartbeatMs = deps.streamHeartbeatMs ?? 30_000;
    this.#beat = deps.clock.setTimeout(() => this.#heartbeat(), this.#heartbeatMs);
  }

  /** Takes the upgrade requests for the stream's path on `server`; other upgrades are refused. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.#upgrade(req, socket, head);
    });
  }

  /** The tenant's current event sequence number (what a snapshot taken now reflects). */
  seq(tenantId: string): number {
    return this.#hub.seq(tenantId);
  }

  count(): number {
    return this.#live.size;
  }

  /**
   * After provisioning: a client whose login was removed is closed (4001); the others' BLF lists and groups are
   * re-read.
   */
  async refresh(): Promise<void> {
    for (const [ws, c] of [...this.#live]) {
      if (!(await this.#sessions.alive(c.who))) {
        ws.close(CLOSE.LOGGED_OUT, 'session ended');
        continue;
      }
      await this.#scope(c);
    }
  }

  close(): void {
    this.#deps.clock.clearTimeout(this.#beat);
    this.#beat = undefined;
    this.#offRevoked();
    this.#hub.stop();
    for (const ws of this.#live.keys()) ws.close(CLOSE.SHUTDOWN, 'server shutting down');
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== EVENTS_PATH) return refuse(socket, 404, 'NOT_FOUND', 'no WebSocket here');
    let who: Principal | undefined;
    try {
      who = await this.#authenticate(req);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError('INTERNAL', 'internal error');
      return refuse(socket, e.status, e.code, e.message);
    }
    const sinceText = url.searchParams.get('since');
    const since = sinceText !== null && /^[0-9]{1,15}$/.test(sinceText) ? Number(sinceText) : undefined;
    this.#wss.handleUpgrade(req, socket, head, (ws) => void this.#open(ws, who, since));
  }

  async #authenticate(req: IncomingMessage): Promise<Principal> {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    const fromProtocol = offered.find((p) => p.startsWith('bearer.'))?.slice('bearer.'.length);
    const fromHeader = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = fromProtocol ?? fromHeader;
    if (fromProtocol !== undefined && !offered.includes(STREAM_PROTOCOL))
      throw new ApiError('INVALID_PARAMETER', `offer the ${STREAM_PROTOCOL} subprotocol with the token`);
    if (!token)
      throw new ApiError('UNAUTHENTICATED', 'send the token (Sec-WebSocket-Protocol bearer.<token>)');
    const p = await this.#sessions.resolve(token);
    if (!p) throw new ApiError('UNAUTHENTICATED', 'the token is unknown or expired; log in again');
    return p;
  }

  async #open(ws: WebSocket, who: Principal, since: number | undefined): Promise<void> {
    // Events that arrive while the snapshot is built are held and sent after it, in order.
    let held: string[] | undefined = [];
    const client: MutableClient = {
      who,
      blf: new Set(),
      groups: new Set(),
      ready: false,
      ponged: true,
      expiry: undefined,
      colleagues: new Set(),
      send: (m) => {
        if (held) {
          held.push(m);
          return true;
        }
        return this.#send(ws, client, m);
      },
    };
    const detach = this.#hub.attach(client);
    this.#live.set(ws, client);
    this.#armExpiry(ws, client);
    ws.on('pong', () => (client.ponged = true));
    ws.on('close', () => {
      detach();
      this.#deps.clock.clearTimeout(client.expiry);
      client.expiry = undefined;
      this.#live.delete(ws);
    });
    ws.on('error', () => ws.terminate());
    // The stream is one-way; anything a client sends is ignored (ping/pong frames are the ws library's).
    ws.on('message', () => undefined);
    try {
      await this.#scope(client);
      // What the first messages cover: the replay reaches the tenant's current seq, the snapshot reflects every
      // event up to the seq it names (their effects are in the state it reads). Held events up to there are
      // dropped, later ones follow in order: no event is sent twice and none is lost.
      const missed = since !== undefined ? this.#hub.missed(client, since) : undefined;
      let covered: number;
      let first: string[];
      if (missed !== undefined) {
        covered = this.#hub.seq(who.tenantId);
        first = [JSON.stringify({ type: 'resumed', seq: since }), ...missed];
      } else {
        const snap = await this.#snapshot(client);
        covered = snap.seq;
        first = [snap.message];
      }
      const pending = held.filter((m) => seqOf(m) > covered);
      held = undefined;
      for (const m of [...first, ...pending]) if (!this.#send(ws, client, m)) return;
      client.ready = true;
    } catch (err) {
      this.#deps.log.error(
        { event: 'api.stream.error', tenant: who.tenantId, err: String(err) },
        'stream failed',
      );
      ws.close(1011, 'internal error');
    }
  }

  /** Closes the stream with 4002 when the session expires (re-armed when the expiry is beyond one timer). */
  #armExpiry(ws: WebSocket, c: MutableClient): void {
    const left = c.who.expiresAt - this.#deps.clock.now();
    if (left <= 0) {
      ws.close(CLOSE.SESSION_EXPIRED, 'session expired');
      return;
    }
    c.expiry = this.#deps.clock.setTimeout(
      () => {
        c.expiry = undefined;
        if (this.#live.get(ws) === c) this.#armExpiry(ws, c);
      },
      Math.min(left, MAX_TIMER_MS),
    );
  }

  #heartbeat(): void {
    this.#beat = this.#deps.clock.setTimeout(() => this.#heartbeat(), this.#heartbeatMs);
    const message = JSON.stringify({ type: 'heartbeat', at: new Date(this.#deps.clock.now()).toISOString() });
    for (const [ws, c] of [...this.#live]) {
      if (ws.readyState !== ws.OPEN) continue;
      if (!c.ponged) {
        this.#deps.log.info(
          { event: 'api.stream.no-pong', tenant: c.who.tenantId, user: c.who.workplace },
          'event-stream client did not answer the heartbeat',
        );
        this.#live.delete(ws);
        ws.close(CLOSE.NO_PONG, 'no pong');
        setTimeout(() => ws.terminate(), 1000).unref();
        continue;
      }
      c.ponged = false;
      ws.ping();
      // Before its first messages a client gets no heartbeat: the snapshot (or the replay) comes first.
      if (c.ready) this.#send(ws, c, message);
    }
  }

  async #scope(c: MutableClient): Promise<void> {
    const plan = await this.#deps.directory.plan(c.who.tenantId);
    c.blf = new Set(plan.workplace(c.who.workplace)?.blf ?? []);
    c.groups = new Set(
      (await this.#deps.callCenter.groupsOf(c.who.tenantId, c.who.workplace)).map((g) => g.extension),
    );
    // A group's agents supervise it on the wallboard: they see each other's status and logins.
    const queues = await Promise.all(
      [...c.groups].map((g) => this.#deps.callCenter.queue(c.who.tenantId, g)),
    );
    c.colleagues = new Set(queues.flatMap((q) => q?.agents.map((a) => a.extension) ?? []));
  }

  async #snapshot(c: MutableClient): Promise<{ seq: number; message: string }> {
    const { tenantId, workplace } = c.who;
    // Taken together with the synchronous reads (calls, lamps): the bus updates those before it reaches the hub.
    // The agent state is read after an await and may already show a later event; that event follows anyway.
    const seq = this.#hub.seq(tenantId);
    const calls = (this.#deps.calls?.callsOf({ tenantId, workplace }) ?? []).map(callJson);
    const blf = [...c.blf].map((ext) => ({
      extension: ext,
      presence: this.#deps.presence.lampOf(tenantId, ext),
    }));
    const status = await this.#deps.callCenter.statusOf(tenantId, workplace);
    const groups = await this.#deps.callCenter.groupsOf(tenantId, workplace);
    const message = JSON.stringify({
      type: 'snapshot',
      seq,
      data: {
        calls,
        blf,
        agent: {
          status: status ?? null,
          groups: groups.map((g) => ({ extension: g.extension, loggedIn: g.loggedIn })),
        },
      },
    });
    return { seq, message };
  }

  #send(ws: WebSocket, c: StreamClient, m: string): boolean {
    if (ws.readyState !== ws.OPEN) return false;
    if (ws.bufferedAmount > this.#maxBuffered) {
      this.#deps.log.warn(
        {
          event: 'api.stream.slow',
          tenant: c.who.tenantId,
          user: c.who.workplace,
          buffered: ws.bufferedAmount,
        },
        'slow event-stream consumer cut off',
      );
      this.#live.delete(ws);
      ws.close(CLOSE.SLOW_CONSUMER, 'slow consumer');
      // A consumer that reads nothing never reads the close frame either: drop it after a grace period.
      setTimeout(() => ws.terminate(), 1000).unref();
      return false;
    }
    ws.send(m);
    return true;
  }
}

type MutableClient = StreamClient & {
  blf: Set<string>;
  groups: Set<string>;
  /** The first messages (snapshot or replay) are sent. */
  ready: boolean;
  /** A pong came since the last heartbeat ping. */
  ponged: boolean;
  expiry: TimerHandle | undefined;
  colleagues: Set<string>;
};

/** The seq of a serialized event (event-hub.ts writes it first). */
function seqOf(message: string): number {
  return Number(/^\{"seq":(\d+)/.exec(message)?.[1] ?? 0);
}

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: code, message });
  socket.end(
    `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 401 ? 'Unauthorized' : 'Bad Request'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
