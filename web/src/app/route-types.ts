import type { ComponentType } from 'preact';
import type { Role } from '../api/types.js';
import type { MessageKey } from '../i18n/catalogue.js';

/**
 * One page of the app. `load` imports the page lazily (its own chunk, so the first paint stays small); the
 * module's default export is the page component. `role: 'admin'` pages are hidden from users and answer
 * "for administrators" when opened directly (the API answers 403 to them anyway).
 */
export interface PageProps {
  /** The `:name` parts of the route's path, e.g. `{ extension: '101' }` for `/admin/workplaces/:extension`. */
  params: Record<string, string>;
}

export interface RouteDef {
  /** `/history`, or with parameters `/admin/workplaces/:extension`. */
  path: string;
  title: MessageKey;
  role: Role;
  /** Shown in the navigation (in this order); absent: reachable by link only. */
  nav?: boolean;
  /** Only for workplaces with this package (e.g. `group` for the call center). */
  package?: string;
  load: () => Promise<{ default: ComponentType<PageProps> }>;
}
