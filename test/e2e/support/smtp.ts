import { createServer, type Server } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One mail as the test's SMTP server took it: envelope and the raw RFC 5322 text. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

/** A local SMTP server (the `smtp-server` package) that keeps every mail it is given. Plain SMTP, no auth. */
export async function startSmtp(): Promise<{ port: number; mails: ReceivedMail[]; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('latin1'),
        });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A local port nobody listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** The MIME part of a mail whose Content-Type is `type`, base64-decoded, with its file name. */
export function attachment(raw: string, type = 'audio/wav'): { filename: string; data: Buffer } | undefined {
  for (const part of raw.split(/\r?\n--[^\r\n]+\r?\n/)) {
    const split = /\r?\n\r?\n/.exec(part);
    if (!split) continue;
    const headers = part.slice(0, split.index).replace(/\r?\n[ \t]+/g, ' ');
    if (!new RegExp(`^Content-Type:\\s*${type}`, 'im').test(headers)) continue;
    const name = /filename="?([^";\r\n]+)"?/i.exec(headers);
    const body = part.slice(split.index + split[0].length).replace(/[^A-Za-z0-9+/=]/g, '');
    return { filename: name ? name[1]! : '', data: Buffer.from(body, 'base64') };
  }
  return undefined;
}
