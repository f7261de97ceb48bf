/**
 * The one Fastify error handler (SPEC §6): domain errors become
 * `{error, reason, errors}` with their status; Fastify's own client errors
 * (bad JSON, body too large, wrong media type) get the same shape; anything
 * else is logged and answered as a bare 500 without details.
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { DomainError, RateLimitedError, UnauthorizedError, type ErrorCode } from '../shared/errors.js';

export interface ErrorBody {
  error: ErrorCode;
  reason: string;
  errors: string[];
}

export function sendError(reply: FastifyReply, status: number, code: ErrorCode, reason: string, errors: readonly string[] = [reason]) {
  const body: ErrorBody = { error: code, reason, errors: [...errors] };
  return reply.status(status).type('application/json; charset=utf-8').send(body);
}

function clientError(error: FastifyError): { status: number; code: ErrorCode; reason: string; errors?: string[] } | undefined {
  const status = error.statusCode ?? 500;
  if (status < 400 || status >= 500) return undefined;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', reason: 'the request body is too large' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'invalid_request', reason: 'the request body is not valid JSON' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'invalid_request', reason: 'the request body must be application/json' };
    default:
      break;
  }
  if (error.validation) {
    if (error.validationContext === 'body' && error.validation.some((v) => v.instancePath === '' && v.keyword === 'type')) {
      return { status: 400, code: 'invalid_request', reason: 'the request body must be a JSON object' };
    }
    const errors = error.validation.map((v) => `${(v.instancePath || error.validationContext) ?? 'request'} ${v.message ?? 'is invalid'}`.trim());
    return { status: 400, code: 'invalid_request', reason: errors[0] ?? 'the request is invalid', errors };
  }
  if (error instanceof SyntaxError) return { status: 400, code: 'invalid_request', reason: 'the request body is not valid JSON' };
  return { status, code: status === 404 ? 'not_found' : 'invalid_request', reason: 'the request is invalid' };
}

/** Errors Fastify raises before routing (a malformed URL): same body as everything else. */
export function frameworkErrors(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  void sendError(reply, 400, 'invalid_request', error.code === 'FST_ERR_BAD_URL' ? 'the URL is malformed' : 'the request is invalid');
}

/**
 * Errors of the HTTP parser itself (headers too large, a broken request
 * line) happen before Fastify has a request; answer them with the same body.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException & { bytesParsed?: number }, socket: Socket): void {
  if (!socket.writable) return;
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const reason = tooLarge ? 'the request headers are too large' : 'the request is malformed';
  const body = JSON.stringify({ error: 'invalid_request', reason, errors: [reason] });
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError) {
      if (error instanceof UnauthorizedError) void reply.header('WWW-Authenticate', 'key');
      if (error instanceof RateLimitedError) void reply.header('Retry-After', String(error.retryAfterSeconds));
      return sendError(reply, error.status, error.code, error.message, error.errors);
    }
    const client = clientError(error);
    if (client) return sendError(reply, client.status, client.code, client.reason, client.errors);
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, 500, 'internal', 'internal server error');
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'not_found', `no route for ${request.method} ${request.url.split('?')[0]}`),
  );
}
