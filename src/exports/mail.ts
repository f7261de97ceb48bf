/**
 * The e-mail of an export (SPEC §4, §7): composing the message, sending it
 * over SMTP or writing it to the outbox directory, and telling transient
 * delivery failures (retried) from permanent ones (the export fails at once).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { domainToASCII } from 'node:url';
import nodemailer from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { mailBlocks, mailSubject, renderHtml, renderText } from './mail-text.js';
import type { ExportMailInput } from './types.js';

// ---------------------------------------------------------------------------
// Composing

/** Thrown by the composer for input that must never reach a header; classified as permanent. */
export class MailInputError extends Error {
  readonly code = 'EMAILINPUT';
  constructor(message: string) {
    super(message);
    this.name = 'MailInputError';
  }
}

const LINE_BREAK = /[\r\n]/;

function assertOneLine(what: string, value: string): void {
  if (LINE_BREAK.test(value)) throw new MailInputError(`${what} must not contain CR or LF`);
}

/** An export id may only use characters that are safe in a Message-ID and in a file name. */
const EXPORT_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The ASCII domain of the (first) address in a From value such as `Kassa <kassa@example.com>`. */
function fromDomain(from: string): string {
  let address = '';
  for (const entry of addressparser(from, { flatten: true })) {
    if (entry.address) {
      address = entry.address;
      break;
    }
  }
  const at = address.lastIndexOf('@');
  const domain = at < 0 ? '' : address.slice(at + 1).trim();
  const ascii = domain.startsWith('[') ? domain : domainToASCII(domain).toLowerCase();
  return /^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[A-Za-z0-9.:]+\])$/.test(ascii) ? ascii : 'localhost';
}

/** Stable per export: `<export-${exportId}@${domain of the From address}>`. */
export function exportMessageId(exportId: string, from: string): string {
  if (!EXPORT_ID.test(exportId)) throw new MailInputError(`export id ${JSON.stringify(exportId)} is not usable in a Message-ID`);
  assertOneLine('From', from);
  return `<export-${exportId}@${fromDomain(from)}>`;
}

/** The message for an export: subject, text and HTML in the export's language, a stable Message-ID, attachments by path (streamed) or a download link. */
export function composeExportMail(input: ExportMailInput): Mail.Options {
  assertOneLine('To', input.to);
  assertOneLine('From', input.from);
  if (input.to.trim() === '') throw new MailInputError('To must not be empty');
  const messageId = exportMessageId(input.exportId, input.from);

  if (input.attachments === null && input.downloadUrl === null) {
    throw new MailInputError('an export e-mail needs either attachments or a download link');
  }
  for (const file of input.attachments ?? []) {
    assertOneLine('attachment file name', file.filename);
    assertOneLine('attachment content type', file.contentType);
  }

  const subject = mailSubject(input);
  const blocks = mailBlocks(input);
  return {
    from: input.from,
    to: input.to,
    subject,
    messageId,
    date: new Date(),
    headers: {
      // RFC 3834: tells auto-responders (vacation replies) not to answer.
      'Auto-Submitted': 'auto-generated',
      'X-Kassa-Export-Id': input.exportId,
    },
    text: renderText(blocks),
    html: renderHtml(blocks, input.lang, subject),
    // `path` makes nodemailer stream each file from disk while sending.
    attachments: (input.attachments ?? []).map((file) => ({
      filename: file.filename,
      path: file.path,
      contentType: file.contentType,
      contentDisposition: 'attachment' as const,
    })),
  };
}

// ---------------------------------------------------------------------------
// Sending

export interface Mailer {
  send(message: Mail.Options): Promise<void>;
  close(): void;
}

export interface MailerTimeouts {
  /** establishing the TCP (and for smtps:// the TLS) connection, ms */
  connection?: number;
  /** waiting for the server's greeting, ms */
  greeting?: number;
  /** inactivity on an open connection, ms */
  socket?: number;
  /** resolving the host name, ms */
  dns?: number;
}

export const DEFAULT_MAIL_TIMEOUTS: Required<MailerTimeouts> = {
  connection: 10_000,
  greeting: 10_000,
  socket: 60_000,
  dns: 10_000,
};

/** Outbox file name for a message: its Message-ID without the brackets, made file-name safe. */
export function outboxFileName(messageId: string): string {
  const bare = messageId.replace(/^\s*<|>\s*$/g, '').replace(/[^A-Za-z0-9._@-]/g, '_');
  return `${bare.replace(/^\.+/, '_') || 'message'}.eml`;
}

/** Replaces `secret` in an error's message and response, in place. */
function scrubError(err: unknown, secrets: string[]): void {
  if (secrets.length === 0 || typeof err !== 'object' || err === null) return;
  const e = err as { message?: unknown; response?: unknown; stack?: unknown };
  const scrub = (s: string): string => secrets.reduce((acc, secret) => acc.split(secret).join('***'), s);
  try {
    if (typeof e.message === 'string') e.message = scrub(e.message);
    if (typeof e.response === 'string') e.response = scrub(e.response);
    if (typeof e.stack === 'string') e.stack = scrub(e.stack);
  } catch {
    // a frozen or odd error object; describeMailError scrubs URLs anyway
  }
}

/** The password (raw and decoded) of an SMTP URL, when long enough to be replaced safely. */
function urlSecrets(smtpUrl: string): string[] {
  try {
    const raw = new URL(smtpUrl).password;
    const secrets = new Set<string>();
    for (const s of [raw, decodeURIComponent(raw)]) if (s.length >= 4) secrets.add(s);
    return [...secrets];
  } catch {
    return [];
  }
}

/**
 * SMTP when smtpUrl is set (smtp:// or smtps://, with the timeouts above; the URL's query string may
 * override them, e.g. `?greetingTimeout=30000`); otherwise each message is written as an .eml file
 * into `${dataDir}/outbox/` named after its Message-ID, atomically (temp file + rename), so re-sending
 * the same export overwrites its file rather than adding one.
 */
export function createMailer(options: { smtpUrl: string | null; dataDir: string; timeouts?: MailerTimeouts }): Mailer {
  const timeouts = { ...DEFAULT_MAIL_TIMEOUTS, ...options.timeouts };
  return options.smtpUrl !== null ? smtpMailer(options.smtpUrl, timeouts) : outboxMailer(join(options.dataDir, 'outbox'));
}

function smtpMailer(smtpUrl: string, timeouts: Required<MailerTimeouts>): Mailer {
  const secrets = urlSecrets(smtpUrl);
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: timeouts.connection,
    greetingTimeout: timeouts.greeting,
    socketTimeout: timeouts.socket,
    dnsTimeout: timeouts.dns,
    // Attachments are local files; never fetch a URL given as content.
    disableUrlAccess: true,
    logger: false,
  });
  return {
    async send(message) {
      try {
        await transport.sendMail(message);
      } catch (err) {
        scrubError(err, secrets);
        throw err;
      }
    },
    close() {
      transport.close();
    },
  };
}

function outboxMailer(outbox: string): Mailer {
  const transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: false,
    newline: 'windows',
    disableUrlAccess: true,
  });
  return {
    async send(message) {
      const messageId = typeof message.messageId === 'string' && message.messageId !== '' ? message.messageId : undefined;
      const name = outboxFileName(messageId ?? `<${randomBytes(12).toString('hex')}@localhost>`);
      await mkdir(outbox, { recursive: true });
      const info = await transport.sendMail(message);
      const stream: unknown = info.message;
      if (!(stream instanceof Readable)) throw new Error('stream transport did not return a message stream');
      const target = join(outbox, name);
      const temp = join(outbox, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await pipeline(stream, createWriteStream(temp, { flags: 'wx' }));
        await rename(temp, target);
      } catch (err) {
        stream.destroy();
        await rm(temp, { force: true });
        throw err;
      }
    },
    close() {
      transport.close();
    },
  };
}

// ---------------------------------------------------------------------------
// Failures

export type MailFailureKind = 'transient' | 'permanent';

interface ErrorFields {
  code?: unknown;
  originalCode?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
  message?: unknown;
}

function fields(err: unknown): ErrorFields {
  return typeof err === 'object' && err !== null ? (err as ErrorFields) : {};
}

/** Errors that retrying the same message cannot fix: a bad envelope or message, bad configuration. */
const PERMANENT_CODES = new Set([
  'EENVELOPE', // no recipients, sender or recipient rejected without a reply code
  'EMESSAGE',
  'EMAXRECIPIENTS',
  'ECONFIG',
  'EAUTH', // only reached without a reply code (e.g. missing credentials); 4xx/5xx decide otherwise
  'ENOAUTH',
  'EFILEACCESS',
  'EURLACCESS',
  'EREQUIRETLS',
  'EMAILINPUT', // MailInputError
]);

/**
 * transient: connection refused/reset, DNS, timeouts, TLS handshake failures, SMTP 4xx;
 * permanent: SMTP 5xx (recipient rejected, message rejected), envelope errors such as no recipients.
 * An SMTP reply code decides first (503 "bad sequence of commands" counts as transient: it is about
 * the session, not the message, so a new connection can succeed); then the error code; anything
 * unrecognised is transient, so it is retried a bounded number of times rather than dropped.
 */
export function classifyMailError(err: unknown): MailFailureKind {
  const e = fields(err);
  if (typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 600) {
    if (e.responseCode >= 500 && e.responseCode !== 503) return 'permanent';
    return 'transient';
  }
  if (typeof e.code === 'string' && PERMANENT_CODES.has(e.code)) return 'permanent';
  return 'transient';
}

/** userinfo in URLs (`smtp://user:pass@host`) → `smtp://***@host`. */
function scrubUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@');
}

/** A one-line description of a delivery error, without credentials (never includes the SMTP URL/password). */
export function describeMailError(err: unknown): string {
  const e = fields(err);
  let message: string;
  if (typeof e.message === 'string' && e.message !== '') message = e.message;
  else if (typeof err === 'string') message = err;
  else message = 'unknown mail error';
  if (typeof e.response === 'string' && e.response !== '' && !message.includes(e.response.trim())) {
    message += `: ${e.response}`;
  }
  const details: string[] = [];
  if (typeof e.code === 'string') details.push(e.code);
  if (typeof e.originalCode === 'string' && e.originalCode !== e.code) details.push(e.originalCode);
  if (typeof e.command === 'string' && e.command !== '' && e.command !== 'CONN' && e.command !== 'API') details.push(`during ${e.command}`);
  let line = message.replace(/\s+/g, ' ').trim();
  if (details.length > 0) line += ` [${details.join(', ')}]`;
  line = scrubUrls(line);
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}
