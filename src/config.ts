/**
 * Configuration: read from the environment once, validated, frozen. A bad
 * value stops the process with a message naming every bad variable.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

export interface Config {
  readonly databaseUrl: string;
  readonly host: string;
  readonly port: number;
  readonly smtpUrl: string | null;
  readonly exportFrom: string;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** API processes `kassa serve` runs on the one port (API_PROCESSES: a number or `auto`, one per core) */
  readonly apiProcesses: number;
  readonly exports: ExportConfig;
}

export interface ExportConfig {
  /** where large export files wait for download; shared by all nodes */
  readonly dir: string;
  /** a claimed job's lease; renewed by heartbeat every third of it */
  readonly leaseMs: number;
  /** first retry delay; doubled per attempt */
  readonly retryBaseMs: number;
  readonly maxAttempts: number;
  /** above this total size the e-mail carries a download link instead of files */
  readonly maxAttachmentBytes: number;
  /** export requests per partner per hour */
  readonly rateLimitPerHour: number;
  /** how often an idle worker looks for jobs */
  readonly pollMs: number;
  /** how long a download link works */
  readonly linkTtlMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const MAX_PROCESSES = 64;
export const PROCESSES_RULE = `must be an integer from 1 to ${MAX_PROCESSES} or "auto" (one per core)`;

/** A number of processes: `auto` is one per core the process may use; undefined when invalid. */
export function processCount(text: string): number | undefined {
  if (text.trim().toLowerCase() === 'auto') return Math.min(availableParallelism(), MAX_PROCESSES);
  const n = Number(text);
  return /^\s*\d+\s*$/.test(text) && n >= 1 && n <= MAX_PROCESSES ? n : undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  const dataDir = resolve(get('DATA_DIR') ?? './data');

  const databaseUrl = get('DATABASE_URL') ?? `sqlite:${join(dataDir, 'kassa.db')}`;
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    problems.push('DATABASE_URL must be sqlite:PATH or postgres://user@host:port/db');
  }

  const host = get('HOST') ?? '127.0.0.1';

  const portText = get('PORT') ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535) problems.push(`PORT must be an integer from 0 to 65535, got "${portText}"`);

  const smtpUrl = get('SMTP_URL') ?? null;
  if (smtpUrl !== null) {
    try {
      const u = new URL(smtpUrl);
      if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new Error('scheme');
    } catch {
      problems.push('SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://…');
    }
  }

  const exportFrom = get('EXPORT_FROM') ?? 'Kassa <kassa@localhost>';
  if (/[\r\n]/.test(exportFrom) || !/@/.test(exportFrom)) problems.push('EXPORT_FROM must be one e-mail address');

  const publicUrl = (get('PUBLIC_URL') ?? `http://${host}:${port}`).replace(/\/+$/, '');
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    problems.push('PUBLIC_URL must be an http:// or https:// URL');
  }

  const logLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const text = get(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
      return fallback;
    }
    return n;
  };
  const apiProcesses = processCount(get('API_PROCESSES') ?? '1');
  if (apiProcesses === undefined) problems.push(`API_PROCESSES ${PROCESSES_RULE}, got "${get('API_PROCESSES')}"`);

  const exports: ExportConfig = Object.freeze({
    dir: resolve(get('EXPORT_DIR') ?? join(dataDir, 'exports')),
    leaseMs: int('EXPORT_LEASE_MS', 30_000, 1000, 3_600_000),
    retryBaseMs: int('EXPORT_RETRY_BASE_MS', 10_000, 0, 3_600_000),
    maxAttempts: int('EXPORT_MAX_ATTEMPTS', 5, 1, 100),
    maxAttachmentBytes: int('EXPORT_MAX_ATTACHMENT_BYTES', 20 * 1024 * 1024, 0, 1024 ** 3),
    rateLimitPerHour: int('EXPORT_RATE_LIMIT', 20, 1, 1_000_000),
    pollMs: int('EXPORT_POLL_MS', 1000, 10, 60_000),
    linkTtlMs: int('EXPORT_LINK_TTL_DAYS', 7, 1, 365) * 86_400_000,
  });

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    databaseUrl,
    host,
    port,
    smtpUrl,
    exportFrom,
    publicUrl,
    dataDir,
    logLevel: logLevel as Config['logLevel'],
    apiProcesses: apiProcesses ?? 1,
    exports,
  });
}
