import { persisted, useValue, Value } from '../app/store.js';
import { catalogues, LANGS, type Lang, type MessageKey } from './catalogue.js';

/**
 * The language of the page: the workplace's language (from `/api/v1/me`) until the user picks one, which is
 * then remembered in this browser.
 */
export const chosenLang = persisted<Lang | null>('zentrale.lang', null);
const workplaceLang = new Value<Lang>('de');

export function setWorkplaceLanguage(l: string): void {
  workplaceLang.set(asLang(l));
  document.documentElement.lang = currentLang();
}

export function asLang(l: string | null | undefined): Lang {
  const short = (l ?? '').slice(0, 2).toLowerCase();
  return (LANGS as readonly string[]).includes(short) ? (short as Lang) : 'en';
}

export function currentLang(): Lang {
  return chosenLang.get() ?? workplaceLang.get();
}

/** The string for `key` in `lang`, with `{name}` placeholders filled. */
export function translate(lang: Lang, key: MessageKey, vars?: Record<string, string | number>): string {
  const s: string = catalogues[lang][key] ?? catalogues.en[key] ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : s;
}

export type T = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** In a component: `const t = useT();` re-renders when the language changes. */
export function useT(): T {
  useValue(chosenLang);
  useValue(workplaceLang);
  const lang = currentLang();
  return (key, vars) => translate(lang, key, vars);
}

export function setLang(l: Lang): void {
  chosenLang.set(l);
  document.documentElement.lang = l;
}
