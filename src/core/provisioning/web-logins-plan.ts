import type { Store, WebLoginRecord } from '../../store/types.js';
import { hashPassword, verifyPassword } from '../security/password-hash.js';
import type { FieldChange, ProvisionedWorkplace, ProvisioningChange } from './types.js';

type Planned = { change: ProvisioningChange; write(store: Store): Promise<void> };

/**
 * The web logins of one tenant (role and web password per workplace), each with its write. A plain-text password
 * is verified against the stored hash and hashed anew only when it differs, so re-applying a file changes
 * nothing (argon2 salts are random: comparing hashes would report a change on every run). A workplace with the
 * default role and no password has no login row; removing a workplace removes its login by the foreign key.
 */
export async function planWebLogins(
  store: Store,
  tenantId: string,
  workplaces: readonly ProvisionedWorkplace[],
  tenantExists: boolean,
): Promise<Planned[]> {
  const have = new Map(
    (tenantExists ? await store.webAccess.logins(tenantId) : []).map((l) => [l.extension, l]),
  );
  const out: Planned[] = [];
  for (const w of workplaces) {
    const old = have.get(w.extension);
    const wanted = w.role !== 'user' || w.webPassword !== null;
    if (!wanted) {
      if (old) {
        out.push({
          change: change('delete', tenantId, w.extension),
          write: (s) => s.webAccess.removeLogin(tenantId, w.extension),
        });
      }
      continue;
    }
    const fields: FieldChange[] = [];
    if (old && old.role !== w.role) fields.push({ field: 'role', from: old.role, to: w.role });
    let passwordHash: string | null;
    const spec = w.webPassword;
    if (spec === null) passwordHash = null;
    else if ('hash' in spec) passwordHash = spec.hash;
    else if (old?.passwordHash && (await verifyPassword(old.passwordHash, spec.password)))
      passwordHash = old.passwordHash;
    else passwordHash = await hashPassword(spec.password);
    if (old && old.passwordHash !== passwordHash) fields.push({ field: 'webPassword', secret: true });
    if (old && fields.length === 0) continue;
    const record: WebLoginRecord = { tenantId, extension: w.extension, passwordHash, role: w.role };
    out.push({
      change: change(old ? 'update' : 'create', tenantId, w.extension, fields),
      write: (s) => s.webAccess.upsertLogin(record),
    });
  }
  return out;
}

function change(
  action: ProvisioningChange['action'],
  tenantId: string,
  key: string,
  fields: FieldChange[] = [],
): ProvisioningChange {
  return { action, entity: 'web-login', tenantId, key, fields };
}
