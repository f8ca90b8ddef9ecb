/**
 * The message catalogue of the client. Every string the user sees is here, in English and German; pages use
 * `t('key')` (i18n/i18n.ts). Other page families keep their strings in their own catalogue file and add it in
 * i18n/catalogue.ts, so the key set stays one type. `{name}` placeholders are filled by `t('key', {name})`.
 */
export const en = {
  'app.title': 'Zentrale',
  'app.skip': 'Skip to content',
  'app.loading': 'Loading…',
  'app.error': 'Something went wrong: {message}',
  'app.notFound': 'This page does not exist.',
  'app.forbidden': 'This page is for administrators.',
  'app.offline': 'Connection to the PBX lost, reconnecting…',
  'app.close': 'Close',
  'app.cancel': 'Cancel',
  'app.save': 'Save',
  'app.notYet': 'not yet available',

  'login.title': 'Log in',
  'login.domain': 'Domain',
  'login.extension': 'Extension',
  'login.password': 'Web password',
  'login.submit': 'Log in',
  'login.failed': 'Login failed: domain, extension or password is wrong.',
  'login.throttled': 'Too many failed attempts. Try again in a few minutes.',
  logout: 'Log out',

  'nav.main': 'Main navigation',
  'nav.calls': 'Calls',
  'nav.contacts': 'Contacts',
  'nav.callcenter': 'Call center',
  'nav.history': 'History',
  'nav.dialpad': 'Dial',
  'nav.settings': 'Settings',
  'nav.admin': 'Administration',

  'lang.label': 'Language',
  'lang.de': 'Deutsch',
  'lang.en': 'English',

  'presence.idle': 'idle',
  'presence.ringing': 'ringing',
  'presence.busy': 'busy',
} as const;

export type MessageKey = keyof typeof en;
export type Catalogue = Record<MessageKey, string>;

export const de: Catalogue = {
  'app.title': 'Zentrale',
  'app.skip': 'Zum Inhalt springen',
  'app.loading': 'Wird geladen…',
  'app.error': 'Etwas ist schiefgegangen: {message}',
  'app.notFound': 'Diese Seite gibt es nicht.',
  'app.forbidden': 'Diese Seite ist für Administratoren.',
  'app.offline': 'Verbindung zur Telefonanlage unterbrochen, verbinde neu…',
  'app.close': 'Schließen',
  'app.cancel': 'Abbrechen',
  'app.save': 'Speichern',
  'app.notYet': 'noch nicht verfügbar',

  'login.title': 'Anmelden',
  'login.domain': 'Domäne',
  'login.extension': 'Nebenstelle',
  'login.password': 'Web-Passwort',
  'login.submit': 'Anmelden',
  'login.failed': 'Anmeldung fehlgeschlagen: Domäne, Nebenstelle oder Passwort ist falsch.',
  'login.throttled': 'Zu viele Fehlversuche. Bitte in einigen Minuten erneut versuchen.',
  logout: 'Abmelden',

  'nav.main': 'Hauptnavigation',
  'nav.calls': 'Gespräche',
  'nav.contacts': 'Kontakte',
  'nav.callcenter': 'Callcenter',
  'nav.history': 'Anrufliste',
  'nav.dialpad': 'Wählen',
  'nav.settings': 'Einstellungen',
  'nav.admin': 'Verwaltung',

  'lang.label': 'Sprache',
  'lang.de': 'Deutsch',
  'lang.en': 'English',

  'presence.idle': 'frei',
  'presence.ringing': 'klingelt',
  'presence.busy': 'besetzt',
};
