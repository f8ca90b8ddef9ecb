#!/usr/bin/env node
// Renders the spoken prompts (assets/prompts/<language>/<name>.wav) from the texts below with espeak-ng and sox:
// 8 kHz mono G.711 μ-law WAV, the telephone's own format, which src/media/audio/wav.ts reads. The rendered files
// are committed, so running the PBX needs no speech synthesis; run this only after changing a text.
// Usage: node scripts/make-prompts.mjs [name...]   (needs the Debian packages espeak-ng and sox; names: only those)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const OUT = fileURLToPath(new URL('../assets/prompts/', import.meta.url));

/** Whole sentences. */
const SENTENCES = {
  'vm-greeting': [
    'Der gewünschte Gesprächspartner ist nicht erreichbar. Bitte sprechen Sie nach dem Signalton. Zum Beenden drücken Sie die Raute-Taste.',
    'The person you called is not available. Please leave a message after the tone. Press hash when you are done.',
  ],
  'vm-greeting-busy': [
    'Der gewünschte Gesprächspartner telefoniert gerade. Bitte sprechen Sie nach dem Signalton. Zum Beenden drücken Sie die Raute-Taste.',
    'The person you called is on another call. Please leave a message after the tone. Press hash when you are done.',
  ],
  'vm-mailbox-full': [
    'Die Sprachbox ist voll. Es kann keine Nachricht aufgenommen werden. Auf Wiederhören.',
    'This mailbox is full. No message can be recorded. Goodbye.',
  ],
  'vm-message-kept': [
    'Ihre Nachricht wurde gespeichert. Auf Wiederhören.',
    'Your message has been saved. Goodbye.',
  ],
  'vm-enter-pin': [
    'Bitte geben Sie Ihre PIN ein, gefolgt von der Raute-Taste.',
    'Please enter your PIN, followed by the hash key.',
  ],
  'vm-wrong-pin': ['Die PIN ist falsch.', 'That PIN is not correct.'],
  goodbye: ['Auf Wiederhören.', 'Goodbye.'],
  'vm-you-have': ['Sie haben', 'You have'],
  'vm-new-message': ['neue Nachricht', 'new message'],
  'vm-new-messages': ['neue Nachrichten', 'new messages'],
  'vm-saved-message': ['gespeicherte Nachricht', 'saved message'],
  'vm-saved-messages': ['gespeicherte Nachrichten', 'saved messages'],
  'vm-no-messages': ['keine', 'no'],
  'vm-and': ['und', 'and'],
  'vm-main-menu': [
    'Für neue Nachrichten drücken Sie die 1, für gespeicherte Nachrichten die 2, um Ihre Ansage aufzunehmen die 3, um Ihre PIN zu ändern die 4, um Ihre Ansage für besetzt aufzunehmen die 5. Zum Beenden drücken Sie den Stern.',
    'For new messages press 1, for saved messages press 2, to record your greeting press 3, to change your PIN press 4, to record your busy greeting press 5. To hang up press star.',
  ],
  'vm-message-menu': [
    'Zum Wiederholen drücken Sie die 1, zum Speichern die 2, zum Löschen die 3, für die nächste Nachricht die 4, zurück zum Hauptmenü mit Stern.',
    'To replay press 1, to save press 2, to delete press 3, for the next message press 4, for the main menu press star.',
  ],
  'vm-message-from': ['Nachricht von', 'Message from'],
  'vm-unknown-caller': ['unbekannt', 'an unknown caller'],
  'vm-received-on': ['empfangen am', 'received on'],
  'vm-at': ['um', 'at'],
  'vm-oclock': ['Uhr', "o'clock"],
  'vm-message-saved': ['Nachricht gespeichert.', 'Message saved.'],
  'vm-message-deleted': ['Nachricht gelöscht.', 'Message deleted.'],
  'vm-no-more-messages': ['Keine weiteren Nachrichten.', 'No more messages.'],
  'vm-record-greeting': [
    'Bitte sprechen Sie Ihre Ansage nach dem Signalton und drücken Sie dann die Raute-Taste.',
    'Please record your greeting after the tone, then press hash.',
  ],
  'vm-greeting-saved': ['Ihre Ansage wurde gespeichert.', 'Your greeting has been saved.'],
  'vm-new-pin': [
    'Bitte geben Sie Ihre neue PIN ein, gefolgt von der Raute-Taste.',
    'Please enter your new PIN, followed by the hash key.',
  ],
  'vm-pin-changed': ['Ihre PIN wurde geändert.', 'Your PIN has been changed.'],
  'vm-pin-weak': ['Diese PIN ist zu einfach.', 'That PIN is too weak.'],
  'not-reachable': [
    'Die gewählte Rufnummer ist nicht erreichbar.',
    'The number you have called is not reachable.',
  ],
  'service-on': ['Der Dienst ist eingeschaltet.', 'The service has been activated.'],
  'service-off': ['Der Dienst ist ausgeschaltet.', 'The service has been deactivated.'],
  'park-parked-at': ['Das Gespräch ist geparkt auf Platz', 'The call is parked at'],
  'service-restart': [
    'Die Telefonanlage wird neu gestartet. Bitte rufen Sie in einer Minute wieder an.',
    'The phone system is restarting. Please call again in a minute.',
  ],
};

/** Pieces that numbers, dates and caller numbers are put together from (src/media/audio/prompts.ts). */
const DE_NUM = [
  'null',
  'eins',
  'zwei',
  'drei',
  'vier',
  'fünf',
  'sechs',
  'sieben',
  'acht',
  'neun',
  'zehn',
  'elf',
  'zwölf',
  'dreizehn',
  'vierzehn',
  'fünfzehn',
  'sechzehn',
  'siebzehn',
  'achtzehn',
  'neunzehn',
];
const EN_NUM = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const DE_TENS = {
  20: 'zwanzig',
  30: 'dreißig',
  40: 'vierzig',
  50: 'fünfzig',
  60: 'sechzig',
  70: 'siebzig',
  80: 'achtzig',
  90: 'neunzig',
};
const EN_TENS = {
  20: 'twenty',
  30: 'thirty',
  40: 'forty',
  50: 'fifty',
  60: 'sixty',
  70: 'seventy',
  80: 'eighty',
  90: 'ninety',
};
const DE_MONTHS = [
  'Januar',
  'Februar',
  'März',
  'April',
  'Mai',
  'Juni',
  'Juli',
  'August',
  'September',
  'Oktober',
  'November',
  'Dezember',
];
const EN_MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const pieces = { de: {}, en: {} };
for (const [name, [de, en]] of Object.entries(SENTENCES)) {
  pieces.de[name] = de;
  pieces.en[name] = en;
}
for (let n = 0; n < 20; n++) {
  pieces.de[`n-${n}`] = DE_NUM[n];
  pieces.en[`n-${n}`] = EN_NUM[n];
}
for (const t of Object.keys(DE_TENS)) {
  pieces.de[`n-${t}`] = DE_TENS[t];
  pieces.en[`n-${t}`] = EN_TENS[t];
}
// German says the unit first ("einundzwanzig"): "ein" as a prefix, then "und" + the tens.
pieces.de['n-ein'] = 'ein';
pieces.de['n-und'] = 'und';
pieces.de['n-hundred'] = 'hundert';
pieces.en['n-hundred'] = 'hundred';
for (let m = 0; m < 12; m++) {
  pieces.de[`month-${m + 1}`] = DE_MONTHS[m];
  pieces.en[`month-${m + 1}`] = EN_MONTHS[m];
}

const only = process.argv.slice(2);
const tmp = mkdtempSync(join(tmpdir(), 'prompts-'));
try {
  for (const [lang, table] of Object.entries(pieces)) {
    mkdirSync(join(OUT, lang), { recursive: true });
    for (const [name, text] of Object.entries(table)) {
      if (only.length > 0 && !only.includes(name)) continue;
      const raw = join(tmp, `${lang}-${name}.wav`);
      execFileSync('espeak-ng', ['-v', lang === 'de' ? 'de' : 'en-gb', '-s', '150', '-w', raw, text]);
      // Band-limit, 8 kHz, normalise to -3 dBFS, trim leading/trailing silence, μ-law.
      execFileSync('sox', [
        raw,
        '-r',
        '8000',
        '-c',
        '1',
        '-e',
        'u-law',
        '-b',
        '8',
        join(OUT, lang, `${name}.wav`),
        'gain',
        '-6',
        'highpass',
        '100',
        'lowpass',
        '3400',
        'silence',
        '1',
        '0.02',
        '0.5%',
        'reverse',
        'silence',
        '1',
        '0.02',
        '0.5%',
        'reverse',
        'norm',
        '-3',
      ]);
    }
    console.log(`${lang}: ${Object.keys(table).length} prompts`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
