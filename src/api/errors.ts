import type { FastifyError, FastifyReply } from 'fastify';
import type { core as zcore } from 'zod';

/**
 * The API's error vocabulary. Every 4xx and 5xx answers `{ "error": CODE, "message": "...", "field"?: "path" }`;
 * docs/api.md lists the codes. A handler throws ApiError; the error handler (http-server.ts) turns it and
 * Fastify's own errors (malformed JSON, too large, wrong media type) into that body, never into a bare 500.
 */
export const ERROR_CODES = {
  MALFORMED_JSON: 400,
  INVALID_BODY: 400,
  INVALID_QUERY: 400,
  INVALID_PARAMETER: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  INVALID_STATE: 409,
  NO_DEVICE: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 422,
  INVALID_NUMBER: 422,
  TOO_MANY_ATTEMPTS: 429,
  INTERNAL: 500,
  NOT_IMPLEMENTED: 501,
  UPSTREAM_FAILED: 502,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  field?: string;
  /** Validation failures that name more than one field (the first is also in `field`). */
  issues?: Array<{ field: string; message: string }>;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly issues: ErrorBody['issues'];

  constructor(code: ErrorCode, message: string, field?: string, issues?: ErrorBody['issues']) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = field;
    this.issues = issues;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }

  body(): ErrorBody {
    return {
      error: this.code,
      message: this.message,
      ...(this.field !== undefined ? { field: this.field } : {}),
      ...(this.issues && this.issues.length > 1 ? { issues: this.issues } : {}),
    };
  }
}

/** `devices[0].username`, or `(body)` for the body itself. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** A zod failure as an ApiError naming the first offending field (an unknown key is named itself). */
export function fromZod(code: ErrorCode, issues: readonly zcore.$ZodIssue[], root: string): ApiError {
  const list = issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ field: fieldPath([...i.path, k]) || root, message: 'unknown field' }))
      : [{ field: fieldPath(i.path) || root, message: i.message }],
  );
  const first = list[0] ?? { field: root, message: 'invalid' };
  return new ApiError(code, `${first.field}: ${first.message}`, first.field, list);
}

/** Maps Fastify's own request errors (parsing, limits) to the error body; anything else is INTERNAL. */
export function toApiError(err: FastifyError | ApiError | Error): ApiError {
  if (err instanceof ApiError) return err;
  const code = (err as FastifyError).code;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('MALFORMED_JSON', 'the body is not valid JSON', '(body)');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('BODY_TOO_LARGE', 'the body is too large', '(body)');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json', '(body)');
    default: {
      const status = (err as FastifyError).statusCode;
      // Fastify's other client errors (e.g. a prototype-poisoning body) are malformed requests.
      if (status !== undefined && status >= 400 && status < 500)
        return new ApiError('MALFORMED_JSON', err.message, '(body)');
      return new ApiError('INTERNAL', 'internal error');
    }
  }
}

export function sendError(reply: FastifyReply, e: ApiError): FastifyReply {
  return reply.code(e.status).type('application/json').send(e.body());
}
