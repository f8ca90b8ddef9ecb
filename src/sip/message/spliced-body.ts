/**
 * A message body that many messages share but for one short value: the watchers of one BLF workplace get the same
 * dialog-info document but for its version (RFC 4235 4.1: per subscription). The text around the value is encoded
 * as UTF-8 once (BodyTemplate); each message's body (SplicedBody) is the two shared buffers and its value, so a
 * fan-out neither builds a document string per watcher nor encodes it again for every request.
 */

/** A text with a marker, split there and encoded once (when the first body is made from it). */
export class BodyTemplate {
  readonly #text: string;
  readonly #marker: string;
  readonly #at: number;
  #parts: readonly [Buffer, Buffer] | undefined;

  /** `marker` must occur in `text`; its first occurrence is what each body replaces. */
  constructor(text: string, marker: string) {
    const at = text.indexOf(marker);
    if (at < 0) throw new RangeError('the marker is not in the text');
    this.#text = text;
    this.#marker = marker;
    this.#at = at;
  }

  /** The body with `value` (ASCII, as a version attribute is) in place of the marker. */
  fill(value: string): SplicedBody {
    const [before, after] = (this.#parts ??= [
      Buffer.from(this.#text.slice(0, this.#at), 'utf8'),
      Buffer.from(this.#text.slice(this.#at + this.#marker.length), 'utf8'),
    ]);
    return new SplicedBody(before, value, after);
  }

  /** The same as text (for a body that is embedded in another one, e.g. a part of a multipart). */
  text(value: string): string {
    return this.#text.replace(this.#marker, value);
  }
}

/** One message's body made from a BodyTemplate: the shared encoded text and its own value. */
export class SplicedBody {
  readonly #before: Buffer;
  readonly #value: string;
  readonly #after: Buffer;
  /** Bytes in UTF-8 (the Content-Length). */
  readonly byteLength: number;

  constructor(before: Buffer, value: string, after: Buffer) {
    for (let i = 0; i < value.length; i++)
      if (value.charCodeAt(i) > 0x7f) throw new RangeError('a spliced value must be ASCII');
    this.#before = before;
    this.#value = value;
    this.#after = after;
    this.byteLength = before.length + value.length + after.length;
  }

  /** Writes the body into `out` at `at` (room for byteLength bytes); returns the offset after it. */
  writeTo(out: Buffer, at: number): number {
    out.set(this.#before, at);
    at += this.#before.length;
    const v = this.#value;
    for (let i = 0; i < v.length; i++) out[at++] = v.charCodeAt(i);
    out.set(this.#after, at);
    return at + this.#after.length;
  }

  toString(): string {
    return this.#before.toString('utf8') + this.#value + this.#after.toString('utf8');
  }
}

/** A body as a string or spliced from shared pieces. */
export type MessageBody = string | SplicedBody;

/** The UTF-8 length of a body. */
export function bodyLength(body: MessageBody): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
}

/** A body as text (tests and observers). */
export function bodyText(body: MessageBody): string {
  return typeof body === 'string' ? body : body.toString();
}
