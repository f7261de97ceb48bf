/**
 * A real SMTP server in-process (smtp-server), for tests: records every
 * message, and can be told how to answer RCPT TO (e.g. 451 twice, then OK).
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestSmtp {
  port: number;
  url: string;
  /** raw messages in arrival order */
  messages: Buffer[];
  parsed(): Promise<ParsedMail[]>;
  /** decides the answer to each RCPT TO; null accepts */
  onRcpt: ((address: string) => Error | null) | null;
  /** resolves when `n` messages have arrived */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

export async function startSmtp(): Promise<TestSmtp> {
  const messages: Buffer[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const state: TestSmtp = {
    port: 0,
    url: '',
    messages,
    onRcpt: null,
    parsed: () => Promise.all(messages.map((m) => simpleParser(m))),
    waitFor(n, timeoutMs = 30_000) {
      if (messages.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${n} messages (have ${messages.length})`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      callback(state.onRcpt ? state.onRcpt(address.address) : null);
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        messages.push(Buffer.concat(chunks));
        callback();
        for (const w of waiters.filter((w) => messages.length >= w.n)) w.resolve();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  state.port = (server.server.address() as AddressInfo).port;
  state.url = `smtp://127.0.0.1:${state.port}`;
  return state;
}
