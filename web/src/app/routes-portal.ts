import type { RouteDef } from './route-types.js';

/** MyPortal, admin and wallboard pages (same shape as the client's routes in routes.ts). */
export const portalRoutes: RouteDef[] = [];
