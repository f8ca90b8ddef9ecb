import { ApiError } from '../api/client.js';
import { api } from './api-instance.js';
import { EventStream, type StreamState } from '../api/event-stream.js';
import type { Me, Session, StreamMessage } from '../api/types.js';
import { setWorkplaceLanguage } from '../i18n/i18n.js';
import { blfList, directory, loadBlf } from './blf.js';
import { live } from './live.js';
import { startSoftphone, stopSoftphone } from './softphone-control.js';
import { persisted, Value } from './store.js';

export { api };

/** The login, kept in localStorage so it survives a reload (the token is valid 12 h, docs/api.md). */
export const session = persisted<Session | null>('zentrale.session', null);
/** My workplace, once loaded after the login. */
export const me = new Value<Me | null>(null);
export const streamState = new Value<StreamState>('closed');

type Listener = (m: StreamMessage) => void;
const listeners = new Set<Listener>();
let stream: EventStream | undefined;

/** Every message of the event stream (after the live state has applied it); returns the unsubscribe. */
export function onStreamMessage(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export async function login(domain: string, extension: string, password: string): Promise<void> {
  const s = await api.login(domain, extension, password);
  session.set(s);
  await start(s);
}

export async function logout(): Promise<void> {
  try {
    await api.logout();
  } catch {
    // Already gone (expired, server restarted with the session removed): logging out here is all that is left.
  }
  end();
}

/** On page load: resumes a stored, unexpired session. False when there is none (show the login). */
export async function restore(): Promise<boolean> {
  const s = session.get();
  if (!s || Date.parse(s.expiresAt) <= Date.now()) {
    session.set(null);
    return false;
  }
  try {
    await start(s);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      end();
      return false;
    }
    throw e;
  }
}

/** Re-reads my workplace (devices and their registration, language). */
export async function reloadMe(): Promise<Me> {
  const m = await api.me();
  me.set(m);
  return m;
}

async function start(s: Session): Promise<void> {
  api.token = s.token;
  api.onUnauthenticated = end;
  // The monitored list is read beside /me, not after it: the main window needs both for its first render.
  const [m] = await Promise.all([reloadMe(), loadBlf().catch(() => undefined)]);
  setWorkplaceLanguage(m.language);
  live.setMe(m.extension);
  stream?.stop();
  stream = new EventStream({
    token: s.token,
    onState: (st) => streamState.set(st),
    onLoggedOut: end,
    onMessage: (msg) => {
      live.apply(msg);
      for (const l of [...listeners]) l(msg);
    },
  });
  live.reset();
  stream.start();
  void startSoftphone();
}

function end(): void {
  void stopSoftphone();
  stream?.stop();
  stream = undefined;
  api.token = undefined;
  session.set(null);
  me.set(null);
  live.reset();
  blfList.set(undefined);
  directory.set(undefined);
}
