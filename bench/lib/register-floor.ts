// The floor under any registrar written for Node: this runtime's UDP I/O (two datagrams in, two out per
// registration) plus the least string work that gives sipp a well-formed answer — a 401 with a challenge to the
// first REGISTER, a 200 to the one with credentials. Nothing is parsed beyond finding five header lines, nothing is
// checked, nothing is kept. bench/register.ts runs it with --floor, so that Zentrale's CPU per registration can be
// read as "the runtime's part" and "the SIP stack's part". Started as a child: `node --import tsx
// bench/lib/register-floor.ts <port>`; answers OPTIONS (the readiness probe) with 200. Loopback only.
import { createSocket } from 'node:dgram';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535)
  throw new Error('usage: register-floor.ts <udp port>');

// IP literals only: answered at once instead of through dns.lookup on the next tick.
const socket = createSocket({ type: 'udp4', lookup: (address, _o, cb) => cb(null, address, 4) });
let n = 0;

/** The whole line of header `name` (as sipp writes it: full name, CRLF line ends), or ''. */
function line(text: string, name: string): string {
  const at = text.indexOf(`\n${name}:`);
  if (at < 0) return '';
  const end = text.indexOf('\r', at + 1);
  return text.slice(at + 1, end < 0 ? undefined : end);
}

socket.on('message', (bytes, from) => {
  const text = bytes.toString('latin1');
  n++;
  const head =
    `${line(text, 'Via')};received=${from.address}\r\n${line(text, 'From')}\r\n` +
    `${line(text, 'To')};tag=f${n}\r\n${line(text, 'Call-ID')}\r\n${line(text, 'CSeq')}\r\n`;
  let answer: string;
  if (text.startsWith('OPTIONS')) answer = `SIP/2.0 200 OK\r\n${head}Content-Length: 0\r\n\r\n`;
  else if (text.includes('\nAuthorization:'))
    answer = `SIP/2.0 200 OK\r\n${head}${line(text, 'Contact')};expires=3600\r\nContent-Length: 0\r\n\r\n`;
  else
    answer =
      `SIP/2.0 401 Unauthorized\r\n${head}WWW-Authenticate: Digest realm="floor", nonce="${n.toString(16)}f100r",` +
      ` algorithm=MD5, qop="auth"\r\nContent-Length: 0\r\n\r\n`;
  socket.send(answer, from.port, from.address);
});
socket.bind(port, '127.0.0.1');
process.on('SIGTERM', () => socket.close(() => process.exit(0)));
