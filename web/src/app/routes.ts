import * as callsPage from '../pages/calls-page.js';
import { portalRoutes } from './routes-portal.js';
import type { RouteDef } from './route-types.js';

/** The client's windows. MyPortal, admin and wallboard pages are in routes-portal.ts. */
const clientRoutes: RouteDef[] = [
  // The main window is in the first chunk: it is what a logged-in user sees first, without another round trip.
  { path: '/', title: 'nav.calls', role: 'user', nav: true, load: () => Promise.resolve(callsPage) },
  {
    path: '/contacts',
    title: 'nav.contacts',
    role: 'user',
    nav: true,
    load: () => import('../pages/contacts-page.js'),
  },
  {
    path: '/callcenter',
    title: 'nav.callcenter',
    role: 'user',
    nav: true,
    package: 'group',
    load: () => import('../pages/callcenter-page.js'),
  },
  {
    path: '/history',
    title: 'nav.history',
    role: 'user',
    nav: true,
    load: () => import('../pages/history-page.js'),
  },
  {
    path: '/settings',
    title: 'nav.settings',
    role: 'user',
    nav: true,
    load: () => import('../pages/settings-page.js'),
  },
];

export const routes: RouteDef[] = [...clientRoutes, ...portalRoutes];

/** The route of a path and its parameters (a trailing slash ignored). */
export function routeOf(p: string): { route: RouteDef; params: Record<string, string> } | undefined {
  const parts = split(p);
  for (const route of routes) {
    const pattern = split(route.path);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((seg, i) => {
      const part = parts[i]!;
      if (seg.startsWith(':')) {
        params[seg.slice(1)] = decodeURIComponent(part);
        return true;
      }
      return seg === part;
    });
    if (ok) return { route, params };
  }
  return undefined;
}

const split = (p: string): string[] => p.split('/').filter((s) => s !== '');
