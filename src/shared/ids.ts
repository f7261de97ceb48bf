import { randomBytes } from 'node:crypto';

/** A 24-character lowercase hex id (MongoDB ObjectId style), SPEC §1. */
export const ID_PATTERN = /^[0-9a-f]{24}$/;

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** 4 bytes of seconds since the epoch, then 8 random bytes. */
export function newId(seconds: number = Math.floor(Date.now() / 1000)): string {
  return seconds.toString(16).padStart(8, '0').slice(-8) + randomBytes(8).toString('hex');
}
