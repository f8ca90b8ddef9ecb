import type {
  CallView,
  ContactCard,
  DirectoryEntry,
  HistoryPage,
  Me,
  MyCallCenter,
  AgentStatus,
  Session,
  WebRtcAccess,
} from './types.js';

/** An error answer of the API: `code` is the machine-readable `error` (docs/api.md, "Errors"). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * The typed HTTP client of `/api/v1`. Every page talks to the PBX through this class (or the event stream);
 * `onUnauthenticated` fires when the token stopped working, so the app can return to the login.
 */
export class Api {
  #token: string | undefined;
  readonly #base: string;
  onUnauthenticated: () => void = () => {};

  constructor(base = '') {
    this.#base = base;
  }

  set token(t: string | undefined) {
    this.#token = t;
  }
  get token(): string | undefined {
    return this.#token;
  }

  /** Any route: the JSON answer (undefined for 204), or an ApiError. */
  async request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.#token) headers['authorization'] = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.#base + path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const e = (json ?? {}) as { error?: string; message?: string; field?: string };
      if (res.status === 401 && e.error === 'UNAUTHENTICATED') this.onUnauthenticated();
      throw new ApiError(res.status, e.error ?? 'HTTP_' + res.status, e.message ?? res.statusText, e.field);
    }
    return json as T;
  }

  // Sessions
  async login(domain: string, extension: string, password: string): Promise<Session> {
    const r = await this.request<{ token: string; expiresAt: string }>('POST', '/api/v1/sessions', {
      domain,
      extension,
      password,
    });
    return { ...r, domain, extension };
  }
  logout(): Promise<void> {
    return this.request('DELETE', '/api/v1/sessions/current');
  }

  // Me and the directory
  me(): Promise<Me> {
    return this.request('GET', '/api/v1/me');
  }
  workplaces(): Promise<DirectoryEntry[]> {
    return this.request('GET', '/api/v1/workplaces');
  }

  /** SIP credentials for the browser softphone (per web session). */
  webrtc(): Promise<WebRtcAccess> {
    return this.request('GET', '/api/v1/me/webrtc');
  }

  // Calls
  calls(): Promise<CallView[]> {
    return this.request('GET', '/api/v1/calls');
  }
  dial(device: string, to: string, as?: string): Promise<{ callId: string }> {
    return this.request('POST', '/api/v1/calls', { device, to, ...(as ? { as } : {}) });
  }
  answer(callId: string, device: string): Promise<void> {
    return this.request('POST', `/api/v1/calls/${enc(callId)}/answer`, { device });
  }
  hangup(callId: string): Promise<void> {
    return this.request('POST', `/api/v1/calls/${enc(callId)}/hangup`);
  }
  hold(callId: string): Promise<void> {
    return this.request('POST', `/api/v1/calls/${enc(callId)}/hold`);
  }
  resume(callId: string): Promise<void> {
    return this.request('POST', `/api/v1/calls/${enc(callId)}/resume`);
  }
  transfer(callId: string, to: string): Promise<void> {
    return this.request('POST', `/api/v1/calls/${enc(callId)}/transfer`, { to });
  }
  consult(callId: string, to: string): Promise<{ callId: string }> {
    return this.request('POST', `/api/v1/calls/${enc(callId)}/consult`, { to });
  }
  completeTransfer(callId: string, consultCallId: string): Promise<void> {
    return this.request('POST', `/api/v1/calls/${enc(callId)}/complete-transfer`, { consultCallId });
  }
  dtmf(callId: string, digits: string): Promise<void> {
    return this.request('POST', `/api/v1/calls/${enc(callId)}/dtmf`, { digits });
  }
  /** With `callId`: directed pickup; without: my pickup group's oldest/newest ringing call. */
  pickup(device: string, callId?: string): Promise<{ callId: string }> {
    return this.request('POST', '/api/v1/calls/pickup', { device, ...(callId ? { callId } : {}) });
  }
  pull(device: string): Promise<{ callId: string }> {
    return this.request('POST', '/api/v1/calls/pull', { device });
  }

  // BLF
  blf(): Promise<DirectoryEntry[]> {
    return this.request('GET', '/api/v1/me/blf');
  }
  setBlf(extensions: string[]): Promise<unknown> {
    return this.request('PUT', '/api/v1/me/blf', { extensions });
  }

  // Call center
  callCenter(): Promise<MyCallCenter> {
    return this.request('GET', '/api/v1/me/callcenter');
  }
  setAgentStatus(status: AgentStatus): Promise<{ status: AgentStatus }> {
    return this.request('PUT', '/api/v1/me/callcenter/status', { status });
  }
  setGroupLogin(group: string, loggedIn: boolean): Promise<{ loggedIn: boolean }> {
    return this.request('PUT', `/api/v1/me/callcenter/groups/${enc(group)}`, { loggedIn });
  }

  /** Wrap-up seconds of each of my call-center groups. */
  wrapUp(): Promise<{ groups: Array<{ extension: string; seconds: number }> }> {
    return this.request('GET', '/api/v1/me/callcenter/wrap-up');
  }

  // Executive–assistant
  /** The executives I assist, whom I may call as. */
  executives(): Promise<Array<{ extension: string; name: string }>> {
    return this.request('GET', '/api/v1/me/executives');
  }

  // Contacts
  contact(extension: string): Promise<ContactCard> {
    return this.request('GET', `/api/v1/workplaces/${enc(extension)}`);
  }
  /** Directed pickup of the call ringing at `extension`. */
  pickupAt(extension: string, device: string): Promise<{ callId: string }> {
    return this.request('POST', `/api/v1/workplaces/${enc(extension)}/pickup`, { device });
  }

  // History
  history(q: { limit?: number; cursor?: string; missed?: boolean } = {}): Promise<HistoryPage> {
    const p = new URLSearchParams();
    if (q.limit) p.set('limit', String(q.limit));
    if (q.cursor) p.set('cursor', q.cursor);
    if (q.missed !== undefined) p.set('missed', String(q.missed));
    const s = p.toString();
    return this.request('GET', '/api/v1/me/history' + (s ? '?' + s : ''));
  }
}

const enc = encodeURIComponent;
