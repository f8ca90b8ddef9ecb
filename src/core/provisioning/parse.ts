import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import type { core as zcore } from 'zod';
import { computeHa1 } from '../../sip/auth/ha1.js';
import { crossCheck, formatPath } from './cross-checks.js';
import { forwardingOf } from './forwarding.js';
import { executiveAssistants } from './executives.js';
import { groupAgents } from './groups.js';
import { tollFraudLimitsOf } from './toll-fraud.js';
import { parsePeer } from './peer.js';
import { ALLOWED_KEYS, fileSchema } from './schema.js';
import type { FileInput } from './schema.js';
import type { PackageName, ProvisioningDoc, SourcePosition } from './types.js';
import { provisionedVoicemail } from './voicemail.js';

export interface ProvisioningIssue {
  line: number;
  column: number;
  /** tenants[0].workplaces[1].devices[0].password, or "" for YAML syntax errors. */
  path: string;
  message: string;
}

/** A provisioning file that cannot be applied; `message` lists every issue as `file:line:col path: message`. */
export class ProvisioningError extends Error {
  readonly issues: ProvisioningIssue[];
  readonly file: string;

  constructor(issues: ProvisioningIssue[], file: string) {
    super(issues.map((i) => formatIssue(file, i)).join('\n'));
    this.name = 'ProvisioningError';
    this.issues = issues;
    this.file = file;
  }
}

export function formatIssue(file: string, i: ProvisioningIssue): string {
  return `${file}:${i.line}:${i.column} ${i.path === '' ? '' : `${i.path}: `}${i.message}`;
}

/**
 * Parses and validates a provisioning file. Either the whole file is valid and comes back typed, with
 * passwords already turned into HA1 hashes, or a ProvisioningError lists every problem with its line.
 */
export function parseProvisioning(text: string, fileName: string): ProvisioningDoc {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const pos = (offset: number): SourcePosition => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };

  if (doc.errors.length > 0) {
    throw new ProvisioningError(
      doc.errors.map((e) => {
        const lp = e.linePos?.[0];
        const p = lp ? { line: lp.line, column: lp.col } : pos(e.pos[0]);
        // With prettyErrors the message ends in " at line L, column C:" and a source excerpt; we print our own.
        const message = e.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
        return { ...p, path: '', message };
      }),
      fileName,
    );
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ProvisioningError(
      [{ line: 1, column: 1, path: '', message: (err as Error).message }],
      fileName,
    );
  }

  const issues: ProvisioningIssue[] = [];
  const at = (path: ReadonlyArray<PropertyKey>, message: string, onKey = false): void => {
    issues.push({ ...pos(locate(doc, path, onKey)), path: formatPath(path), message });
  };

  if (raw === null || raw === undefined) {
    at([], 'the file is empty; expected a mapping with "tenants:"');
    throw new ProvisioningError(issues, fileName);
  }

  const parsed = fileSchema.safeParse(raw, { error: (iss) => defaultMessage(iss, doc) });
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      if (iss.code === 'unrecognized_keys') {
        for (const key of iss.keys) at([...iss.path, key], unknownKeyMessage(iss.path, key), true);
      } else {
        at(iss.path, iss.message);
      }
    }
  }
  for (const iss of crossCheck(raw)) at(iss.path, iss.message);

  if (issues.length > 0) {
    issues.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new ProvisioningError(dedupe(issues), fileName);
  }
  // parsed.success is certain here: any schema issue was pushed above.
  return toDoc((parsed as { data: FileInput }).data, fileName, (path) => pos(locate(doc, path, false)));
}

function toDoc(
  input: FileInput,
  file: string,
  position: (path: PropertyKey[]) => SourcePosition,
): ProvisioningDoc {
  return {
    file,
    tenants: input.tenants.map((t, ti) => ({
      id: t.id,
      name: t.name,
      domain: t.domain,
      domainAt: position(['tenants', ti, 'domain']),
      pickupGroups: t.pickupGroups.map((g) => ({ name: g.name, members: [...g.members] })),
      pickupOrder: t.pickupOrder,
      ...(t.park ? { park: { locations: t.park.locations, recallSeconds: t.park.recallSeconds } } : {}),
      tollFraud: tollFraudLimitsOf(t.tollFraud),
      workplaces: t.workplaces.map((w) => ({
        extension: w.extension,
        name: w.name,
        email: w.email ?? null,
        language: w.language,
        packages: [...new Set<PackageName>(w.packages)].sort(),
        devices: w.devices.map((d) => ({
          username: d.username,
          kind: d.kind,
          // The realm is the tenant's domain (see TenantRecord); the plain password goes no further than here.
          ha1Md5: computeHa1('MD5', d.username, t.domain, d.password),
          ha1Sha256: computeHa1('SHA-256', d.username, t.domain, d.password),
        })),
        externalNumber: w.externalNumber ?? null,
        blf: w.blf,
        // The PIN goes no further than here either: only its hash.
        voicemail: w.voicemail ? provisionedVoicemail(w.voicemail, t.id, w.extension) : null,
        forwarding: forwardingOf(w.forwarding),
        role: w.role,
        webPassword: w.webPassword !== undefined ? { password: w.webPassword } : null,
      })),
      trunks: t.trunks.map((tr, tri) => {
        // The schema has checked the syntax; parsePeer cannot fail here.
        const peer = parsePeer(tr.peer)!;
        return {
          id: tr.id,
          peerHost: peer.host,
          peerPort: peer.port,
          transport: tr.transport,
          register: tr.register
            ? { username: tr.register.username, password: tr.register.password, expires: tr.register.expires }
            : null,
          outboundPrefix: tr.outboundPrefix,
          numberFormat: tr.numberFormat,
          countryCode: tr.countryCode ?? null,
          dids: tr.dids.map((d, di) => ({
            number: d.number,
            extension: d.extension,
            numberAt: position(['tenants', ti, 'trunks', tri, 'dids', di, 'number']),
          })),
          defaultCallerId: tr.defaultCallerId ?? null,
        };
      }),
      groups: t.groups.map((g) => ({ ...g, agents: groupAgents(g) })),
      executives: t.executives.map((e) => ({ ...e, assistants: executiveAssistants(e) })),
    })),
  };
}

/** Messages for zod's generic issues; schema-specific messages (set in schema.ts) take precedence. */
function defaultMessage(iss: zcore.$ZodRawIssue, doc: Document): string | undefined {
  if (iss.code === 'invalid_type') {
    if (iss.input === undefined) {
      return iss.path && hasNode(doc, iss.path) ? `expected ${iss.expected}, got nothing` : 'required';
    }
    return `expected ${article(iss.expected)}, got ${describe(iss.input)}`;
  }
  return undefined;
}

function article(expected: string): string {
  if (expected === 'array') return 'a list';
  if (expected === 'object') return 'a mapping';
  return `a ${expected}`;
}

function describe(v: unknown): string {
  if (v === null) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function unknownKeyMessage(path: ReadonlyArray<PropertyKey>, key: string): string {
  const lastName = [...path].reverse().find((s) => typeof s === 'string');
  const kind = (lastName ?? 'root') as keyof typeof ALLOWED_KEYS;
  const allowed = ALLOWED_KEYS[kind] ?? [];
  const near = allowed.find((a) => editDistance(a, key) <= 2);
  return `unknown key${near ? ` (did you mean "${near}"?)` : ''}; allowed here: ${allowed.join(', ')}`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/**
 * The source offset for a data path: the value node (or the key node when `onKey`); when the path runs out
 * of the document (a required key is missing) the nearest existing ancestor.
 */
function locate(doc: Document, path: ReadonlyArray<PropertyKey>, onKey: boolean): number {
  let node: Node | null | undefined = doc.contents;
  let offset = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return offset;
      const key = pair.key as Node;
      if (last && onKey) return key.range?.[0] ?? offset;
      node = pair.value as Node | null;
      // An empty value (`password:`) has no useful range of its own: point at its key.
      offset =
        node?.range && !(isScalar(node) && node.value === null) ? node.range[0] : (key.range?.[0] ?? offset);
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg] as Node | undefined;
      if (!node) return offset;
      offset = node.range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function hasNode(doc: Document, path: ReadonlyArray<PropertyKey>): boolean {
  return doc.hasIn(path as unknown[]);
}

function dedupe(issues: ProvisioningIssue[]): ProvisioningIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.line}:${i.column}:${i.path}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
