import { Api } from '../api/client.js';

/** The one API client of the page; its token is the session's (app/session.ts sets it). */
export const api = new Api();
