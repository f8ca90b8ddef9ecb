import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

/** A client of the HTTP API over real HTTP (fetch) and of its WebSocket event stream. */
export interface StreamMessage {
  type: string;
  seq: number;
  data: Record<string, unknown>;
}

export class ApiClient {
  readonly base: string;
  token: string | undefined;
  readonly #streams: EventStreamClient[] = [];

  constructor(httpPort: number) {
    this.base = `http://127.0.0.1:${httpPort}`;
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    o: { contentType?: string; token?: string | null } = {},
  ): Promise<{ status: number; json: Record<string, unknown> & { error?: string; field?: string } }> {
    const token = o.token === null ? undefined : (o.token ?? this.token);
    const r = await fetch(this.base + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': o.contentType ?? 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /** Logs in and keeps the token; returns the status. */
  async login(domain: string, extension: string, password: string): Promise<number> {
    const r = await this.request(
      'POST',
      '/api/v1/sessions',
      { domain, extension, password },
      { token: null },
    );
    if (r.status === 201) this.token = String(r.json['token']);
    return r.status;
  }

  async stream(o: { since?: number } = {}): Promise<EventStreamClient> {
    const url = `${this.base.replace('http', 'ws')}/api/v1/events${o.since !== undefined ? `?since=${o.since}` : ''}`;
    const ws = new WebSocket(url, ['zentrale.v1', `bearer.${this.token}`]);
    const c = new EventStreamClient(ws);
    this.#streams.push(c);
    await once(ws, 'open');
    return c;
  }

  async closeStreams(): Promise<void> {
    for (const s of this.#streams.splice(0)) await s.close();
  }
}

export class EventStreamClient {
  readonly ws: WebSocket;
  readonly messages: StreamMessage[] = [];

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (d: Buffer) => this.messages.push(JSON.parse(d.toString()) as StreamMessage));
  }

  /** Waits (bounded) for a message matching `pred`, after index `from`. */
  async waitFor(pred: (m: StreamMessage) => boolean, timeoutMs = 5000): Promise<StreamMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.find(pred);
      if (m) return m;
      assert.ok(
        Date.now() < deadline,
        `no such message; got ${JSON.stringify(this.messages.map((x) => x.type))}`,
      );
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = once(this.ws, 'close');
    this.ws.close();
    await closed;
  }
}
