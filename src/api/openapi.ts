import { z } from 'zod';
import type { AnyRoute, RouteTable } from './route-table.js';
import { errorBody } from './schemas.js';

/**
 * The OpenAPI 3.1 document, built from the route table: the zod schemas that validate each request are
 * converted with `z.toJSONSchema` (JSON Schema 2020-12, the dialect OpenAPI 3.1 uses), so the document is the
 * validation, not a description of it.
 */
export function openApiDocument(routes: RouteTable, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes.routes) {
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    (paths[path] ??= {})[r.method.toLowerCase()] = operation(r);
  }
  paths['/api/v1/events'] = {
    get: {
      tags: ['events'],
      summary:
        'WebSocket event stream (upgrade). Token in Sec-WebSocket-Protocol: "zentrale.v1, bearer.<token>" or ' +
        'Authorization; ?since=<seq> resumes. Heartbeat: a ping frame and a {"type":"heartbeat"} message every ' +
        '30 s. Close codes: 4001 logged out, 4002 session expired, 4008 slow consumer, 4009 no pong, 1001 ' +
        'shutdown. See docs/api.md.',
      security: [{ bearer: [] }],
      parameters: [{ name: 'since', in: 'query', required: false, schema: { type: 'integer', minimum: 0 } }],
      responses: {
        '101': { description: 'switching to WebSocket' },
        '401': errorResponse('not authenticated'),
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Zentrale API',
      version,
      description: 'Tenant-scoped HTTP API of the Zentrale PBX; see docs/api.md.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: schema(errorBody, 'output') },
    },
    paths,
  };
}

function operation(r: AnyRoute): Record<string, unknown> {
  const parameters: unknown[] = [];
  for (const [where, s] of [
    ['path', r.params],
    ['query', r.query],
  ] as const) {
    if (!s) continue;
    const js = schema(s, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, p] of Object.entries(js.properties ?? {}))
      parameters.push({
        name,
        in: where,
        required: where === 'path' || (js.required ?? []).includes(name),
        schema: p,
      });
  }
  const responses: Record<string, unknown> = {
    [String(r.ok.status)]: {
      description: r.ok.description,
      ...(r.ok.mediaType
        ? { content: { [r.ok.mediaType]: { schema: { type: 'string', contentMediaType: r.ok.mediaType } } } }
        : r.ok.schema
          ? { content: { 'application/json': { schema: schema(r.ok.schema, 'output') } } }
          : {}),
    },
    '400': errorResponse('malformed request (the field is named)'),
  };
  if (r.access !== 'public') responses['401'] = errorResponse('not authenticated');
  if (r.access === 'admin') responses['403'] = errorResponse('needs the admin role');
  if (r.body) responses['413'] = errorResponse('body too large');
  for (const s of r.errors ?? []) responses[String(s)] ??= errorResponse(STATUS_TEXT[s] ?? 'error');
  return {
    tags: [r.tag],
    summary: r.summary,
    operationId: `${r.method.toLowerCase()}${r.url.replace(/^\/api\/v1/, '').replace(/[/:-](\w)/g, (_m, c: string) => c.toUpperCase())}`,
    ...(r.access === 'public' ? { security: [] } : { security: [{ bearer: [] }] }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(r.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schema(r.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

const STATUS_TEXT: Record<number, string> = {
  401: 'wrong credentials',
  403: 'not allowed',
  404: 'no such resource (also: another tenant’s)',
  409: 'not in a state that allows it',
  422: 'valid JSON, but the change is refused (the field is named)',
  429: 'too many failed logins',
  501: 'not available in this build',
  502: 'the phone or network failed',
};

function errorResponse(description: string): Record<string, unknown> {
  return { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
}

function schema(s: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const js = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  delete js.$schema;
  return js;
}
