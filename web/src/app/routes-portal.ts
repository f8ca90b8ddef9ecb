import type { RouteDef } from './route-types.js';

/** MyPortal, admin and wallboard pages (same shape as the client's routes in routes.ts). */
export const portalRoutes: RouteDef[] = [
  {
    path: '/portal',
    title: 'nav.portal',
    role: 'user',
    nav: true,
    load: () => import('../pages/portal-page.js'),
  },
  {
    path: '/wallboard',
    title: 'nav.wallboard',
    role: 'user',
    nav: true,
    load: () => import('../pages/wallboard-page.js'),
  },
  {
    path: '/admin/workplaces',
    title: 'nav.adminWorkplaces',
    role: 'admin',
    nav: true,
    load: () => import('../pages/admin-workplaces-page.js'),
  },
  {
    path: '/admin/groups',
    title: 'nav.adminGroups',
    role: 'admin',
    nav: true,
    load: () => import('../pages/admin-groups-page.js'),
  },
  {
    path: '/admin/pickup',
    title: 'nav.adminPickup',
    role: 'admin',
    nav: true,
    load: () => import('../pages/admin-pickup-page.js'),
  },
  {
    path: '/admin/blf',
    title: 'nav.adminBlf',
    role: 'admin',
    nav: true,
    load: () => import('../pages/admin-blf-page.js'),
  },
  {
    path: '/admin/executives',
    title: 'nav.adminExecutives',
    role: 'admin',
    nav: true,
    load: () => import('../pages/admin-executives-page.js'),
  },
  {
    path: '/admin/trunks',
    title: 'nav.adminTrunks',
    role: 'admin',
    nav: true,
    load: () => import('../pages/admin-trunks-page.js'),
  },
  {
    path: '/admin/calls',
    title: 'nav.adminCalls',
    role: 'admin',
    nav: true,
    load: () => import('../pages/admin-calls-page.js'),
  },
  {
    path: '/admin/calls/:id',
    title: 'nav.adminCalls',
    role: 'admin',
    load: () => import('../pages/admin-calls-page.js'),
  },
  {
    path: '/admin/yaml',
    title: 'nav.adminYaml',
    role: 'admin',
    nav: true,
    load: () => import('../pages/admin-yaml-page.js'),
  },
];
