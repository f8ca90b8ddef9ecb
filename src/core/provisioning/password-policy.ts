/**
 * Device (SIP digest) password rules. Phones register from the open internet and digest passwords are
 * brute-forced constantly, so provisioning refuses the weak ones instead of warning about them.
 */

export const MIN_PASSWORD_LENGTH = 10;

/** A small list of passwords attackers try first; compared case-insensitively. */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  '1234567890',
  '0123456789',
  '12345678910',
  '1q2w3e4r5t',
  '1qaz2wsx3edc',
  'qwertyuiop',
  'qwertzuiop',
  'asdfghjkl1',
  'password1!',
  'password12',
  'password123',
  'passw0rd123',
  'p@ssw0rd123',
  'passwort123',
  'passwort1!',
  'iloveyou123',
  'sommer2024!',
  'sommer2025!',
  'winter2024!',
  'welcome123',
  'willkommen1',
  'willkommen123',
  'administrator',
  'admin12345',
  'changeme123',
  'letmein123',
  'sipphone123',
  'telefon123',
  'voip123456',
  'secret1234',
  'geheim1234',
]);

export interface PasswordContext {
  username: string;
  extension: string;
}

/** Why the password is refused, or undefined when it is acceptable. */
export function devicePasswordProblem(password: string, ctx: PasswordContext): string | undefined {
  const chars = [...password];
  if (chars.length < MIN_PASSWORD_LENGTH) {
    return `too weak (${chars.length} characters, at least ${MIN_PASSWORD_LENGTH})`;
  }
  if (chars.every((c) => c === chars[0])) return 'too weak (one character repeated)';
  if (characterClasses(password) < 2) {
    return 'too weak (use at least two of: lower-case, upper-case, digits, other characters)';
  }
  const lower = password.toLowerCase();
  if (ctx.username !== '' && lower.includes(ctx.username.toLowerCase())) {
    return 'too weak (contains the username)';
  }
  if (ctx.extension !== '' && lower.includes(ctx.extension.toLowerCase())) {
    return 'too weak (contains the extension)';
  }
  if (COMMON_PASSWORDS.has(lower)) return 'too weak (a commonly used password)';
  return undefined;
}

function characterClasses(s: string): number {
  let n = 0;
  if (/\p{Ll}/u.test(s)) n++;
  if (/\p{Lu}/u.test(s)) n++;
  if (/\p{Nd}/u.test(s)) n++;
  if (/[^\p{Ll}\p{Lu}\p{Nd}]/u.test(s)) n++;
  return n;
}

/**
 * Voicemail PINs are typed on a dial pad, so digits only; the rules mirror the password rules above for what a
 * dial pad can express: a minimum length, no single repeated digit, no run up or down the pad, no short
 * repeated pattern, not the own extension, none of the PINs attackers try first.
 */
export const MIN_PIN_LENGTH = 6;
export const MAX_PIN_LENGTH = 12;

const COMMON_PINS: ReadonlySet<string> = new Set([
  '112233',
  '123321',
  '102030',
  '147258',
  '159753',
  '258456',
  '789456',
  '696969',
  '131313',
  '100200',
  '111222',
  '123654',
  '112358',
  '314159',
]);

/** Why the PIN is refused, or undefined when it is acceptable. */
export function pinProblem(pin: string, ctx: { extension: string }): string | undefined {
  if (!/^[0-9]*$/.test(pin)) return 'must be digits only (it is typed on a dial pad)';
  if (pin.length < MIN_PIN_LENGTH) return `too weak (${pin.length} digits, at least ${MIN_PIN_LENGTH})`;
  if (pin.length > MAX_PIN_LENGTH) return `at most ${MAX_PIN_LENGTH} digits`;
  const d = [...pin].map(Number);
  if (d.every((x) => x === d[0])) return 'too weak (one digit repeated)';
  const step = (d[1]! - d[0]! + 10) % 10;
  if ((step === 1 || step === 9) && d.every((x, i) => i === 0 || (x - d[i - 1]! + 10) % 10 === step))
    return 'too weak (a run of consecutive digits)';
  for (let period = 2; period <= 3; period++) {
    if (pin.length >= period * 2 && [...pin].every((c, i) => c === pin[i % period]))
      return 'too weak (a short repeated pattern)';
  }
  if (ctx.extension !== '' && pin.includes(ctx.extension)) return 'too weak (contains the extension)';
  if (COMMON_PINS.has(pin)) return 'too weak (a commonly used PIN)';
  return undefined;
}
