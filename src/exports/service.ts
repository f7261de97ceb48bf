/**
 * POST /v2/resources/orders/export and the export status endpoints: request
 * validation (the list's filter parser plus email/format/lang/tz),
 * Idempotency-Key, rate limit, and the download of large files.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { hashToken } from '../auth/tokens.js';
import type { ExportConfig } from '../config.js';
import type { ExportRow } from '../db/types.js';
import { isTimeZone } from '../import/validate.js';
import { pageOffset, parseOrderFilters, parsePaging, type OrderFilters } from '../orders/filters.js';
import { GoneError, InvalidRequestError, NotFoundError } from '../shared/errors.js';
import { ID_PATTERN, newId } from '../shared/ids.js';
import { ExportMapper, type ExportApi } from './mappers.js';
import type { ExportsRepository } from './repository.js';
import type { ExportFormat, ExportLang } from './types.js';

export const IDEMPOTENCY_MS = 24 * 3600 * 1000;
export const RATE_WINDOW_MS = 3600 * 1000;
const FORMATS: readonly ExportFormat[] = ['xlsx', 'csv'];
const LANGS: readonly ExportLang[] = ['ru', 'en'];
/** One address: no spaces, commas, angle brackets or quotes; a dot in the domain. */
const EMAIL = /^[^\s@,;<>()[\]\\"]+@[^\s@,;<>()[\]\\"]+\.[^\s@,;<>()[\]\\".]+$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

export interface ExportRequest {
  query: Record<string, unknown>;
  body: unknown;
  idempotencyKey: string | undefined;
}

function single(name: string, value: unknown, errors: string[]): unknown {
  if (Array.isArray(value)) {
    if (value.length === 1) return value[0];
    errors.push(`${name} must be given once`);
    return undefined;
  }
  return value;
}

function parseEmail(raw: unknown, errors: string[]): string | undefined {
  if (Array.isArray(raw) && raw.length > 1) {
    errors.push('email must be given once: one address receives the file');
    return undefined;
  }
  const value = single('email', raw, errors);
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    errors.push('email is required: the address that receives the file');
    return undefined;
  }
  if (typeof value !== 'string') {
    errors.push('email must be a string');
    return undefined;
  }
  if (/[\r\n]/.test(value)) {
    errors.push('email must not contain line breaks');
    return undefined;
  }
  const email = value.trim();
  if (email.length > 254 || !EMAIL.test(email)) {
    errors.push(`email must be one e-mail address, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return email;
}

function parseChoice<T extends string>(name: string, raw: unknown, choices: readonly T[], fallback: T, errors: string[]): T {
  const value = single(name, raw, errors);
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value.trim().toLowerCase())) {
    return value.trim().toLowerCase() as T;
  }
  errors.push(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  return fallback;
}

function parseTz(raw: unknown, errors: string[]): string {
  const value = single('tz', raw, errors);
  if (value === undefined || value === null || value === '') return 'UTC';
  if (typeof value === 'string' && /^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(value.trim()) && isTimeZone(value.trim())) {
    // The zone's canonical spelling (europe/moscow -> Europe/Moscow), so headers and idempotency agree.
    return new Intl.DateTimeFormat('en-US', { timeZone: value.trim() }).resolvedOptions().timeZone;
  }
  errors.push(`tz must be an IANA time zone such as Europe/Moscow or UTC, got ${JSON.stringify(value)}`);
  return 'UTC';
}

/** The parameters that make two requests "the same" for Idempotency-Key (lists sorted). */
function paramsHash(p: { email: string; format: string; lang: string; tz: string; filters: OrderFilters }): string {
  const canonical = {
    email: p.email.toLowerCase(),
    format: p.format,
    lang: p.lang,
    tz: p.tz,
    from: p.filters.createdFrom ?? null,
    to: p.filters.createdTo ?? null,
    statuses: p.filters.statuses ? [...p.filters.statuses].sort() : null,
    events: p.filters.events ? [...p.filters.events].sort() : null,
    onlyWithCustomer: p.filters.onlyWithCustomer,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export class ExportsService {
  constructor(
    private readonly repository: ExportsRepository,
    private readonly config: ExportConfig,
    /** called after an export is queued, e.g. to wake an in-process worker */
    private readonly onQueued: () => void = () => undefined,
  ) {}

  /** Validates and queues an export; the row is committed when this returns. */
  async request(partnerId: string, req: ExportRequest): Promise<{ id: string; created: boolean }> {
    const errors: string[] = [];
    if (req.body !== undefined && req.body !== null && (typeof req.body !== 'object' || Array.isArray(req.body))) {
      throw new InvalidRequestError(['the request body must be a JSON object']);
    }
    // Body wins for a field given in both.
    const input: Record<string, unknown> = { ...req.query, ...((req.body as Record<string, unknown> | null | undefined) ?? {}) };
    const { filters, echo } = parseOrderFilters(input, errors);
    const email = parseEmail(input.email, errors);
    const format = parseChoice('format', input.format, FORMATS, 'xlsx', errors);
    const lang = parseChoice('lang', input.lang, LANGS, 'ru', errors);
    const tz = parseTz(input.tz, errors);
    const key = req.idempotencyKey;
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) errors.push('Idempotency-Key must be 1 to 200 visible ASCII characters');
    if (errors.length > 0 || email === undefined) throw new InvalidRequestError(errors);

    const now = Date.now();
    const row: ExportRow = {
      id: newId(Math.floor(now / 1000)),
      partner_id: partnerId,
      status: 'queued',
      email,
      format,
      lang,
      tz,
      filters: JSON.stringify(echo),
      query: JSON.stringify(filters),
      params_hash: paramsHash({ email, format, lang, tz, filters }),
      idempotency_key: null,
      orders: null,
      tickets: null,
      attempts: 0,
      max_attempts: this.config.maxAttempts,
      error: null,
      created_at: now,
      run_at: now,
      locked_by: null,
      locked_until: null,
      started_at: null,
      finished_at: null,
      file_path: null,
      file_name: null,
      file_type: null,
      file_size: null,
      file_token_hash: null,
      file_expires_at: null,
    };
    const result = await this.repository.create(
      { row, idempotencyKey: key ?? null },
      { now, idempotencyMs: IDEMPOTENCY_MS, rateLimit: this.config.rateLimitPerHour, rateWindowMs: RATE_WINDOW_MS },
    );
    if (result.created) this.onQueued();
    return { id: result.row.id, created: result.created };
  }

  async get(partnerId: string, id: string): Promise<ExportApi> {
    const row = ID_PATTERN.test(id) ? await this.repository.get(partnerId, id) : undefined;
    if (!row) throw new NotFoundError(`export ${id} not found`);
    return ExportMapper.toApi(row);
  }

  async list(partnerId: string, query: Record<string, unknown>) {
    const errors: string[] = [];
    const { page, pageSize } = parsePaging(query, errors);
    if (errors.length > 0) throw new InvalidRequestError(errors);
    const { total, rows } = await this.repository.list(partnerId, pageSize, pageOffset({ page, pageSize }));
    return { data: rows.map((r) => ExportMapper.toApi(r)), pagination: { page, page_size: pageSize, total } };
  }

  /** The file behind a download link: the token is the capability (no API key needed). */
  async download(id: string, token: unknown): Promise<{ path: string; name: string; type: string; size: number }> {
    const notFound = new NotFoundError('no such download');
    if (!ID_PATTERN.test(id) || typeof token !== 'string' || !/^[a-z0-9]{32}$/.test(token)) throw notFound;
    const file = await this.repository.file(id);
    if (!file || file.file_token_hash === null) throw notFound;
    const given = Buffer.from(hashToken(token), 'hex');
    const stored = Buffer.from(file.file_token_hash, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) throw notFound;
    const gone = new GoneError('this download link has expired; request a new export');
    if (file.file_path === null || (file.file_expires_at ?? 0) < Date.now()) throw gone;
    const size = await stat(file.file_path).then(
      (s) => s.size,
      () => null,
    );
    if (size === null) throw gone;
    return { path: file.file_path, name: file.file_name ?? 'export', type: file.file_type ?? 'application/octet-stream', size };
  }
}
