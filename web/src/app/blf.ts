import type { DirectoryEntry } from '../api/types.js';
import { api } from './api-instance.js';
import { Value } from './store.js';

/** My monitored colleagues in key order (names from `/api/v1/me/blf`; live lamps are in `live.lamps`). */
export const blfList = new Value<DirectoryEntry[] | undefined>(undefined);

export async function loadBlf(): Promise<void> {
  blfList.set(await api.blf());
}

/** Replaces (and so reorders) the list on the PBX; the desk phones' BLF subscriptions follow it. */
export async function saveBlf(extensions: string[]): Promise<void> {
  await api.setBlf(extensions);
  await loadBlf();
}

/** The tenant's directory, loaded once per login (for search and for adding to the list). */
export const directory = new Value<DirectoryEntry[] | undefined>(undefined);

export async function loadDirectory(force = false): Promise<DirectoryEntry[]> {
  const have = directory.get();
  if (have && !force) return have;
  const d = await api.workplaces();
  directory.set(d);
  return d;
}
