import type { Migration, MigrationProvider } from 'kysely';
import { directory } from './0001-directory.js';
import { registrations } from './0002-registrations.js';
import { callHistory } from './0003-call-history.js';
import { trunks } from './0004-trunks.js';
import { blf } from './0005-blf.js';
import { pickup } from './0006-pickup.js';
import { callCenter } from './0007-callcenter.js';
import { didTargets } from './0008-did-targets.js';
import { apiSessions } from './0010-api-sessions.js';
import { executives } from './0009-executives.js';
import { forwarding } from './0011-forwarding.js';
import { voicemail } from './0012-voicemail.js';
import { park } from './0013-park.js';
import { tollFraud } from './0014-toll-fraud.js';

/**
 * Every migration, by name. Listed by hand instead of scanned from the folder so the same list works from
 * src/ under tsx and from dist/ after the build. Names sort in the order they run; never rename one that shipped.
 */
export const migrations: Record<string, Migration> = {
  '0001-directory': directory,
  '0002-registrations': registrations,
  '0003-call-history': callHistory,
  '0004-trunks': trunks,
  '0005-blf': blf,
  '0006-pickup': pickup,
  '0007-callcenter': callCenter,
  '0008-did-targets': didTargets,
  '0010-api-sessions': apiSessions,
  '0009-executives': executives,
  '0011-forwarding': forwarding,
  '0012-voicemail': voicemail,
  '0013-park': park,
  '0014-toll-fraud': tollFraud,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
