/**
 * The one error contract of SPEC §6. Services throw these; the HTTP error
 * handler (src/http/errors.ts) turns them into `{error, reason, errors}`.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'payload_too_large'
  | 'internal';

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly status: number;
  readonly errors: readonly string[];

  constructor(reason: string, errors: readonly string[] = [reason]) {
    super(reason);
    this.name = new.target.name;
    this.errors = errors;
  }
}

/** Every problem found in one request, reported at once. */
export class InvalidRequestError extends DomainError {
  readonly code = 'invalid_request' as const;
  readonly status = 400;
  constructor(errors: readonly string[]) {
    super(errors.length === 1 ? errors[0]! : `${errors.length} problems found: ${errors.join('; ')}`, errors);
  }
}

export class UnauthorizedError extends DomainError {
  readonly code = 'unauthorized' as const;
  readonly status = 401;
}

export class NotFoundError extends DomainError {
  readonly code = 'not_found' as const;
  readonly status = 404;
}

/** A resource that existed and is gone for good (an expired download link). SPEC §6 has no own code for it. */
export class GoneError extends DomainError {
  readonly code = 'not_found' as const;
  readonly status = 410;
}

export class ConflictError extends DomainError {
  readonly code = 'conflict' as const;
  readonly status = 409;
}

export class PayloadTooLargeError extends DomainError {
  readonly code = 'payload_too_large' as const;
  readonly status = 413;
}

export class RateLimitedError extends DomainError {
  readonly code = 'rate_limited' as const;
  readonly status = 429;
  constructor(
    reason: string,
    readonly retryAfterSeconds: number,
  ) {
    super(reason);
  }
}

/**
 * Not a DomainError and never an answer: a read that was to confirm the API
 * key it read for (ApiKeysService.readAs) found that key not active for its
 * partner. readAs catches it and lets a lookup of the key decide; one that
 * escaped would be answered as a bare 500.
 */
export class KeyNotConfirmedError extends Error {
  constructor() {
    super('the API key was not confirmed by the read');
    this.name = 'KeyNotConfirmedError';
  }
}
