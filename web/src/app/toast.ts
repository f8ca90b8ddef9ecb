import { ApiError } from '../api/client.js';
import { translate, currentLang } from '../i18n/i18n.js';
import { Value } from './store.js';

export interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

/** Short messages at the bottom of the page (role=status / role=alert), gone after a few seconds. */
export const toasts = new Value<Toast[]>([]);
let next = 1;

export function toast(text: string, kind: Toast['kind'] = 'info'): void {
  const id = next++;
  toasts.update((l) => [...l, { id, text, kind }]);
  setTimeout(() => toasts.update((l) => l.filter((x) => x.id !== id)), kind === 'error' ? 8000 : 4000);
}

/** Runs an action; a failure becomes an error toast in the user's language (the API's code explained). */
export async function attempt<T>(f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    const lang = currentLang();
    const code = e instanceof ApiError ? e.code : '';
    const known = code && (`error.${code}` as const);
    const text =
      known && isErrorKey(known)
        ? translate(lang, known)
        : translate(lang, 'app.error', { message: e instanceof Error ? e.message : String(e) });
    toast(text, 'error');
    return undefined;
  }
}

const ERROR_KEYS = [
  'error.NOT_FOUND',
  'error.INVALID_STATE',
  'error.NO_DEVICE',
  'error.FORBIDDEN',
  'error.INVALID_NUMBER',
  'error.UPSTREAM_FAILED',
  'error.NOT_IMPLEMENTED',
  'error.VALIDATION_FAILED',
  'error.CONFLICT',
] as const;
function isErrorKey(k: string): k is (typeof ERROR_KEYS)[number] {
  return (ERROR_KEYS as readonly string[]).includes(k);
}
