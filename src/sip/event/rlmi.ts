/**
 * RFC 4662 resource list bodies: the RLMI document (`application/rlmi+xml`) and the `multipart/related` NOTIFY body
 * (RFC 2387) that carries it as root part followed by one part per resource instance (here: dialog-info documents).
 * Pure string building; the caller keeps one VersionCounter for the list subscription and one per resource.
 */
import { checkVersion, xmlAttrs, xmlText } from './xml.js';

export { VersionCounter } from './version-counter.js';

export const RLMI_NS = 'urn:ietf:params:xml:ns:rlmi';
export const RLMI_CONTENT_TYPE = 'application/rlmi+xml';

export type InstanceState = 'active' | 'pending' | 'terminated';

export interface RlmiInstance {
  /** Unique within the resource, stable over the back-end subscription. */
  id: string;
  state: InstanceState;
  /** Only with state `terminated`, e.g. `rejected`, `noresource` (RFC 4662 section 5.2). */
  reason?: string;
  /** Content-ID of the body part carrying this instance's state, without angle brackets; absent when no state is sent. */
  cid?: string;
}

export interface RlmiResource {
  uri: string;
  name?: string;
  instances: RlmiInstance[];
}

export interface RlmiDocument {
  /** The list URI the watcher subscribed to. */
  uri: string;
  version: number;
  fullState: boolean;
  /** Display name of the list. */
  name?: string;
  resources: RlmiResource[];
}

const INSTANCE_STATES = new Set<string>(['active', 'pending', 'terminated']);

/** The RLMI document for `doc`. Throws RangeError on an invalid version or instance state. */
export function rlmiXml(doc: RlmiDocument): string {
  checkVersion(doc.version);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<list${xmlAttrs([
      ['xmlns', RLMI_NS],
      ['uri', doc.uri],
      ['version', doc.version],
      ['fullState', doc.fullState ? 'true' : 'false'],
    ])}>`,
  ];
  if (doc.name !== undefined) out.push(`  <name>${xmlText(doc.name)}</name>`);
  for (const r of doc.resources) {
    out.push(`  <resource${xmlAttrs([['uri', r.uri]])}>`);
    if (r.name !== undefined) out.push(`    <name>${xmlText(r.name)}</name>`);
    for (const i of r.instances) {
      if (!i.id) throw new RangeError('instance id must not be empty');
      if (!INSTANCE_STATES.has(i.state)) throw new RangeError(`invalid instance state ${i.state}`);
      out.push(
        `    <instance${xmlAttrs([
          ['id', i.id],
          ['state', i.state],
          ['reason', i.state === 'terminated' ? i.reason : undefined],
          ['cid', i.cid],
        ])}/>`,
      );
    }
    out.push('  </resource>');
  }
  out.push('</list>');
  return out.join('\r\n') + '\r\n';
}

export interface MultipartPart {
  /** Content-ID without angle brackets (they are accepted and stripped). */
  cid: string;
  contentType: string;
  body: string;
}

export interface MultipartRelatedInput {
  /** RFC 2046 boundary: 1-70 characters from the bchars set, not ending in a space. */
  boundary: string;
  /** Content-ID of the RLMI part; it is emitted first whatever its position in `parts`. */
  rootCid: string;
  parts: MultipartPart[];
}

const BCHARS = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const CID = /^[\x21-\x3b\x3d\x3f-\x7e]+$/; // printable ASCII without '<', '>' and space
const HEADER_VALUE = /^[^\r\n]+$/;

function bareCid(cid: string): string {
  const c = cid.startsWith('<') && cid.endsWith('>') ? cid.slice(1, -1) : cid;
  if (!CID.test(c)) throw new RangeError(`invalid Content-ID ${JSON.stringify(cid)}`);
  return c;
}

/**
 * The `multipart/related` body of an RFC 4662 NOTIFY: `type="application/rlmi+xml"`, `start` naming the root (RLMI)
 * part, CRLF line endings, `Content-Transfer-Encoding: binary`, `Content-ID` and `Content-Type` per part. Throws
 * RangeError on a malformed boundary or Content-ID, a missing root, duplicate Content-IDs, or a body that contains
 * the delimiter line (choose another boundary).
 */
export function multipartRelated(input: MultipartRelatedInput): { contentType: string; body: string } {
  const { boundary } = input;
  if (!BCHARS.test(boundary)) throw new RangeError(`invalid boundary ${JSON.stringify(boundary)}`);
  const root = bareCid(input.rootCid);
  const parts = input.parts.map((p) => ({ ...p, cid: bareCid(p.cid) }));
  const seen = new Set<string>();
  for (const p of parts) {
    if (seen.has(p.cid)) throw new RangeError(`duplicate Content-ID ${p.cid}`);
    seen.add(p.cid);
    if (!HEADER_VALUE.test(p.contentType))
      throw new RangeError(`invalid Content-Type ${JSON.stringify(p.contentType)}`);
    if (p.body.startsWith(`--${boundary}`) || p.body.includes(`\n--${boundary}`))
      throw new RangeError(`part ${p.cid} contains the boundary`);
  }
  const rootPart = parts.find((p) => p.cid === root);
  if (!rootPart) throw new RangeError(`root part ${root} missing`);
  const ordered = [rootPart, ...parts.filter((p) => p !== rootPart)];
  let body = '';
  for (const p of ordered) {
    body += `--${boundary}\r\n`;
    body += 'Content-Transfer-Encoding: binary\r\n';
    body += `Content-ID: <${p.cid}>\r\n`;
    body += `Content-Type: ${p.contentType}\r\n`;
    body += '\r\n';
    body += p.body;
    // The CRLF before the next delimiter belongs to the delimiter (RFC 2046 section 5.1.1).
    body += '\r\n';
  }
  body += `--${boundary}--\r\n`;
  return {
    contentType: `multipart/related;type="${RLMI_CONTENT_TYPE}";start="<${root}>";boundary="${boundary}"`,
    body,
  };
}
