import { ipv6Hextets } from './address.js';
import type { Endpoint } from './types.js';

/**
 * The one piece of STUN a SIP server needs: RFC 5626 section 4.4.2 has UDP clients keep their NAT binding (and
 * detect flow failure) with STUN Binding requests sent to the SIP port, which the server must answer with the
 * reflexive address it sees (RFC 5389 section 7.3, XOR-MAPPED-ADDRESS section 15.2). Nothing else is handled.
 */

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;
const HEADER = 20;

/** A STUN message (RFC 5389 section 6): first two bits zero, magic cookie, 4-byte-aligned length. */
export function isStunMessage(b: Buffer): boolean {
  return (
    b.length >= HEADER &&
    ((b[0] ?? 0xff) & 0xc0) === 0 &&
    b.readUInt32BE(4) === MAGIC_COOKIE &&
    b.readUInt16BE(2) === b.length - HEADER &&
    b.readUInt16BE(2) % 4 === 0
  );
}

/** The Binding success response for a Binding request from `remote`, or undefined for anything else. */
export function stunBindingResponse(req: Buffer, remote: Endpoint): Buffer | undefined {
  if (!isStunMessage(req) || req.readUInt16BE(0) !== BINDING_REQUEST) return undefined;
  const txid = req.subarray(8, HEADER);
  const v6 = ipv6Hextets(remote.address);
  const v4 = v6 ? undefined : remote.address.split('.').map(Number);
  if (v4 && (v4.length !== 4 || v4.some((o) => !(o >= 0 && o <= 255)))) return undefined;
  const addrLen = v6 ? 16 : 4;
  const res = Buffer.alloc(HEADER + 4 + 4 + addrLen);
  res.writeUInt16BE(BINDING_SUCCESS, 0);
  res.writeUInt16BE(res.length - HEADER, 2);
  res.writeUInt32BE(MAGIC_COOKIE, 4);
  txid.copy(res, 8);
  let o = HEADER;
  res.writeUInt16BE(XOR_MAPPED_ADDRESS, o);
  res.writeUInt16BE(4 + addrLen, o + 2);
  res.writeUInt8(0, o + 4);
  res.writeUInt8(v6 ? 0x02 : 0x01, o + 5);
  res.writeUInt16BE(remote.port ^ (MAGIC_COOKIE >>> 16), o + 6);
  o += 8;
  // X-Address: the address XOR the magic cookie (IPv4), or XOR cookie + transaction id (IPv6).
  const key = Buffer.concat([res.subarray(4, 8), txid]);
  const addr = Buffer.alloc(addrLen);
  if (v6) v6.forEach((h, i) => addr.writeUInt16BE(h, i * 2));
  else (v4 ?? []).forEach((x, i) => addr.writeUInt8(x, i));
  for (let i = 0; i < addrLen; i++) res[o + i] = (addr[i] ?? 0) ^ (key[i] ?? 0);
  return res;
}
