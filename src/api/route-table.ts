import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ApiError, fromZod } from './errors.js';
import type { Principal } from './session-service.js';

/**
 * Every API route is declared once here: method, path, who may call it, and the zod schemas of its body, query
 * and path parameters. The same declaration validates the request and produces the OpenAPI document
 * (openapi.ts), so the two cannot drift apart.
 */
export type Access = 'public' | 'user' | 'admin';

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteContext<B, Q, P> {
  /** The logged-in workplace (absent only on public routes). */
  who: Principal;
  body: B;
  query: Q;
  params: P;
  req: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteSpec<
  B extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  P extends Schema | undefined = undefined,
> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify style: `/api/v1/calls/:callId`. */
  url: string;
  tag: string;
  summary: string;
  access: Access;
  body?: B;
  query?: Q;
  params?: P;
  /** The success status and, where it has one, the schema of the answer (documentation only). */
  ok: {
    status: number;
    description: string;
    schema?: Schema;
    /** A non-JSON answer (e.g. `audio/wav`): the handler sets the type and returns the bytes. */
    mediaType?: string;
  };
  /** Extra error statuses this route can answer beyond the common ones (documentation only). */
  errors?: number[];
  handler(ctx: RouteContext<Out<B>, Out<Q>, Out<P>>): Promise<unknown>;
}

/** A route as stored: its types erased once validated. */
export type AnyRoute = RouteSpec<Schema | undefined, Schema | undefined, Schema | undefined>;

export interface Authenticator {
  /** Resolves the bearer token of a request; throws ApiError UNAUTHENTICATED. */
  principal(req: FastifyRequest): Promise<Principal>;
}

export class RouteTable {
  readonly #routes: AnyRoute[] = [];

  add<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined>(
    spec: RouteSpec<B, Q, P>,
  ): void {
    this.#routes.push(spec as unknown as AnyRoute);
  }

  get routes(): readonly AnyRoute[] {
    return this.#routes;
  }

  /** Registers every route with Fastify: authentication, role check, validation, then the handler. */
  register(app: FastifyInstance, auth: Authenticator, bodyLimit: number): void {
    for (const r of this.#routes) {
      app.route({
        method: r.method,
        url: r.url,
        bodyLimit,
        handler: async (req, reply) => {
          const who = r.access === 'public' ? ANONYMOUS : await auth.principal(req);
          if (r.access === 'admin' && who.role !== 'admin')
            throw new ApiError('FORBIDDEN', 'this needs the admin role');
          const params = parse(r.params, req.params, 'INVALID_PARAMETER', '(path)');
          const query = parse(r.query, req.query ?? {}, 'INVALID_QUERY', '(query)');
          const type = req.headers['content-type'];
          // Fastify also parses text/plain; the API speaks JSON only.
          if (r.body && type !== undefined && !/^application\/json\s*(;|$)/i.test(type))
            throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json', '(body)');
          const body = r.body ? parse(r.body, req.body, 'INVALID_BODY', '(body)') : undefined;
          const out = await r.handler({ who, body, query, params, req, reply });
          if (reply.sent) return reply;
          reply.code(r.ok.status);
          return out === undefined ? reply.send() : out;
        },
      });
    }
  }
}

const ANONYMOUS: Principal = {
  tenantId: '',
  workplace: '',
  role: 'user',
  tokenHash: '',
  domain: '',
  expiresAt: 0,
};

function parse(
  schema: Schema | undefined,
  value: unknown,
  code: 'INVALID_BODY' | 'INVALID_QUERY' | 'INVALID_PARAMETER',
  root: string,
): unknown {
  if (!schema) return undefined;
  if (code === 'INVALID_BODY' && (value === undefined || value === null))
    throw new ApiError('INVALID_BODY', 'a JSON body is required', '(body)');
  const r = schema.safeParse(value);
  if (!r.success) throw fromZod(code, r.error.issues, root);
  return r.data;
}
