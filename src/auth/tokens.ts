import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const TOKEN_PATTERN = /^[a-z0-9]{32}$/;

/** 32 characters [a-z0-9] from the CSPRNG, without modulo bias (bytes ≥ 252 are dropped). */
export function newToken(): string {
  let token = '';
  while (token.length < 32) {
    for (const byte of randomBytes(48)) {
      if (byte < 252 && token.length < 32) token += ALPHABET[byte % 36];
    }
  }
  return token;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
