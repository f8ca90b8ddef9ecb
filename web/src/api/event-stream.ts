import type { StreamMessage } from './types.js';

export type StreamState = 'connecting' | 'open' | 'closed';

export interface EventStreamOptions {
  /** The session token (sent as the `bearer.<token>` subprotocol, never in the URL). */
  token: string;
  onMessage(m: StreamMessage): void;
  onState?(s: StreamState): void;
  /** The server closed with 4001: the session ended elsewhere. */
  onLoggedOut?(): void;
  /** ws(s)://host of the API; default: this page's origin. */
  origin?: string;
}

const LOGGED_OUT = 4001;
const MAX_BACKOFF_MS = 15_000;

/**
 * The PBX's event stream (`/api/v1/events`, docs/api.md "Event stream"). Reconnects with a growing backoff and
 * `?since=<last seq>`, so a short outage is replayed (a `resumed` marker, then the missed events) instead of
 * starting over; when the server cannot replay that far it sends a fresh snapshot, which the app applies the same
 * way as the first one.
 */
export class EventStream {
  readonly #o: EventStreamOptions;
  #ws: WebSocket | undefined;
  #seq: number | undefined;
  #stopped = false;
  #backoff = 500;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(o: EventStreamOptions) {
    this.#o = o;
  }

  get seq(): number | undefined {
    return this.#seq;
  }

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#ws?.close(1000, 'bye');
    this.#ws = undefined;
    this.#o.onState?.('closed');
  }

  #connect(): void {
    const origin = this.#o.origin ?? location.origin.replace(/^http/, 'ws');
    const url = `${origin}/api/v1/events${this.#seq !== undefined ? `?since=${this.#seq}` : ''}`;
    this.#o.onState?.('connecting');
    const ws = new WebSocket(url, ['zentrale.v1', `bearer.${this.#o.token}`]);
    this.#ws = ws;
    ws.onopen = () => {
      this.#backoff = 500;
      this.#o.onState?.('open');
    };
    ws.onmessage = (ev: MessageEvent<string>) => {
      let m: StreamMessage;
      try {
        m = JSON.parse(ev.data) as StreamMessage;
      } catch {
        return;
      }
      if (typeof m.seq === 'number') this.#seq = Math.max(this.#seq ?? 0, m.seq);
      if (m.type === 'snapshot') this.#seq = m.seq;
      this.#o.onMessage(m);
    };
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      if (ev.code === LOGGED_OUT) {
        this.#stopped = true;
        this.#o.onState?.('closed');
        this.#o.onLoggedOut?.();
        return;
      }
      if (this.#stopped) return;
      this.#o.onState?.('connecting');
      this.#timer = setTimeout(() => this.#connect(), this.#backoff);
      this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF_MS);
    };
  }
}
