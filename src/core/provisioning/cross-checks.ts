import { checkForwarding } from './forwarding.js';
import { crossCheckExecutives } from './executives.js';
import { crossCheckGroups } from './groups.js';
import { devicePasswordProblem } from './password-policy.js';
import { checkPickupGroups } from './pickup.js';
import { checkParkLocations } from './park.js';
import type { RawIssue } from './raw-issue.js';
import { checkVoicemail } from './voicemail.js';

/**
 * Rules across entries: duplicates and password strength. They run on the raw YAML data (defensively, since
 * the structure may be wrong in places) so one pass reports them together with the schema errors.
 */
export function crossCheck(raw: unknown): RawIssue[] {
  const issues: RawIssue[] = [];
  const tenants = field(raw, 'tenants');
  if (!Array.isArray(tenants)) return issues;

  const ids = new Map<string, number>();
  const domains = new Map<string, number>();
  // A number belongs to one tenant: DIDs are unique across the whole file.
  const dids = new Map<string, string>();
  tenants.forEach((t, ti) => {
    checkTrunks(t, ti, dids, issues);
    checkPickupGroups(t, ti, issues);
    checkParkLocations(t, ti, issues);
    checkForwarding(t, ti, issues);
    issues.push(...crossCheckGroups(t, ti));
    issues.push(...crossCheckExecutives(t, ti));
    const id = field(t, 'id');
    if (typeof id === 'string')
      duplicate(ids, id, ti, ['tenants', ti, 'id'], `duplicate tenant id "${id}"`, issues);
    const domain = field(t, 'domain');
    if (typeof domain === 'string') {
      const d = domain.trim().toLowerCase();
      duplicate(
        domains,
        d,
        ti,
        ['tenants', ti, 'domain'],
        `domain "${d}" is already used by tenants[${domains.get(d)}]`,
        issues,
      );
    }

    const workplaces = field(t, 'workplaces');
    if (!Array.isArray(workplaces)) return;
    checkBlf(workplaces, ti, issues);
    const extensions = new Map<string, number>();
    // Usernames are unique per tenant (they are the AOR user part), across all workplaces.
    const usernames = new Map<string, string>();
    workplaces.forEach((w, wi) => {
      const wPath = ['tenants', ti, 'workplaces', wi];
      const ext = field(w, 'extension');
      const extension = typeof ext === 'string' ? ext : '';
      if (extension !== '')
        duplicate(
          extensions,
          extension,
          wi,
          [...wPath, 'extension'],
          `duplicate extension "${extension}"`,
          issues,
        );

      const packages = field(w, 'packages');
      if (Array.isArray(packages)) {
        const seen = new Set<unknown>();
        packages.forEach((p, pi) => {
          if (seen.has(p))
            issues.push({ path: [...wPath, 'packages', pi], message: `package "${String(p)}" listed twice` });
          seen.add(p);
        });
      }

      checkVoicemail(w, wPath, issues);
      const webPassword = field(w, 'webPassword');
      if (typeof webPassword === 'string') {
        // The same rules as a device password: the login is as exposed (the API faces the internet too).
        const problem = devicePasswordProblem(webPassword, { username: '', extension });
        if (problem) issues.push({ path: [...wPath, 'webPassword'], message: problem });
      }

      const devices = field(w, 'devices');
      if (!Array.isArray(devices)) return;
      devices.forEach((d, di) => {
        const dPath = [...wPath, 'devices', di];
        const u = field(d, 'username');
        const username = typeof u === 'string' ? u : '';
        if (username !== '') {
          const first = usernames.get(username);
          if (first !== undefined) {
            issues.push({
              path: [...dPath, 'username'],
              message: `duplicate device username "${username}" (also at ${first})`,
            });
          } else {
            usernames.set(username, formatPath(dPath));
          }
        }
        const password = field(d, 'password');
        if (typeof password === 'string') {
          const problem = devicePasswordProblem(password, { username, extension });
          if (problem) issues.push({ path: [...dPath, 'password'], message: problem });
        }
      });
    });
  });
  return issues;
}

/**
 * A tenant's trunks: ids unique in the tenant, a country code wherever numbers are sent as E.164, DIDs unique in
 * the file and pointing at one of the tenant's extensions.
 */
function checkTrunks(t: unknown, ti: number, dids: Map<string, string>, issues: RawIssue[]): void {
  const trunks = field(t, 'trunks');
  if (!Array.isArray(trunks)) return;
  const workplaces = field(t, 'workplaces');
  const groups = field(t, 'groups');
  // A DID reaches a workplace or a call-center group of the tenant.
  const extensions = new Set(
    [...(Array.isArray(workplaces) ? workplaces : []), ...(Array.isArray(groups) ? groups : [])]
      .map((w) => field(w, 'extension'))
      .filter((e) => typeof e === 'string'),
  );
  const trunkIds = new Map<string, number>();
  trunks.forEach((tr, tri) => {
    const tPath = ['tenants', ti, 'trunks', tri];
    const id = field(tr, 'id');
    if (typeof id === 'string')
      duplicate(trunkIds, id, tri, [...tPath, 'id'], `duplicate trunk id "${id}"`, issues);
    const format = field(tr, 'numberFormat') ?? 'e164';
    if (format === 'e164' && field(tr, 'countryCode') === undefined) {
      issues.push({
        path: [...tPath, 'numberFormat'],
        message:
          'numberFormat e164 needs countryCode (e.g. countryCode: "49") to turn national numbers into E.164',
      });
    }
    const list = field(tr, 'dids');
    if (!Array.isArray(list)) return;
    list.forEach((d, di) => {
      const dPath = [...tPath, 'dids', di];
      const number = field(d, 'number');
      if (typeof number === 'string') {
        const first = dids.get(number);
        if (first !== undefined) {
          issues.push({
            path: [...dPath, 'number'],
            message: `DID "${number}" is already used (at ${first})`,
          });
        } else {
          dids.set(number, formatPath(dPath));
        }
      }
      const ext = field(d, 'extension');
      if (typeof ext === 'string' && !extensions.has(ext)) {
        issues.push({
          path: [...dPath, 'extension'],
          message: `no workplace or group with extension "${ext}" in this tenant`,
        });
      }
    });
  });
}

/** BLF lists name extensions of the same tenant, each once, and not the workplace itself. */
function checkBlf(workplaces: unknown[], ti: number, issues: RawIssue[]): void {
  const extensions = new Set(
    workplaces.map((w) => field(w, 'extension')).filter((e) => typeof e === 'string'),
  );
  workplaces.forEach((w, wi) => {
    const list = field(w, 'blf');
    if (!Array.isArray(list)) return;
    const own = field(w, 'extension');
    const seen = new Set<unknown>();
    list.forEach((ext, i) => {
      if (typeof ext !== 'string') return; // the schema reports it
      const path = ['tenants', ti, 'workplaces', wi, 'blf', i];
      if (seen.has(ext)) issues.push({ path, message: `extension "${ext}" listed twice` });
      else if (ext === own) issues.push({ path, message: 'a workplace cannot monitor itself' });
      else if (!extensions.has(ext))
        issues.push({ path, message: `no workplace with extension "${ext}" in this tenant` });
      seen.add(ext);
    });
  });
}

function duplicate(
  seen: Map<string, number>,
  key: string,
  index: number,
  path: Array<string | number>,
  message: string,
  issues: RawIssue[],
): void {
  if (seen.has(key)) issues.push({ path, message });
  else seen.set(key, index);
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' && !Array.isArray(obj)
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}

/** tenants[0].workplaces[1].devices[0].password */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}
