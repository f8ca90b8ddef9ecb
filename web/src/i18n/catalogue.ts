import * as client from './messages.js';
import * as portal from './messages-portal.js';
import * as admin from './messages-admin.js';

/** All catalogues in one: a key missing in German is a type error, a key used twice is found by the test. */
export const catalogues = {
  en: { ...client.en, ...portal.en, ...admin.en },
  de: { ...client.de, ...portal.de, ...admin.de },
} as const;

export type MessageKey = keyof typeof catalogues.en;
export type Lang = keyof typeof catalogues;
export const LANGS: readonly Lang[] = ['de', 'en'];
