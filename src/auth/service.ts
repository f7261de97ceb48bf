import { KeyNotConfirmedError, NotFoundError, UnauthorizedError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import type { ApiKeysRepository } from './repository.js';
import { TOKEN_PATTERN, hashToken, newToken } from './tokens.js';

export interface ApiKeyInfo {
  id: string;
  partner: string;
  name: string | null;
  created_at: number;
  revoked_at: number | null;
}

const AUTH_HEADER = /^key\s+(\S+)\s*$/i;
/** The one answer for a token that is no active key, whatever the reason. */
const UNKNOWN_KEY = 'the API key is unknown or revoked';
/** Keys whose partner readAs() remembers (least recently used out). */
const REMEMBERED_KEYS = 10_000;

export class ApiKeysService {
  /** token hash -> partner of keys found active before: a guess, never a grant (readAs) */
  private readonly seen = new Map<string, string>();

  constructor(private readonly repository: ApiKeysRepository) {}

  /** SPEC §2: `Authorization: key <token>`, scheme case-insensitive. Returns the partner id. */
  async authenticate(header: string | undefined): Promise<string> {
    const hash = tokenHash(header);
    // A malformed token cannot be a key; no need to ask the database.
    const partner = hash === undefined ? undefined : await this.repository.activePartnerByHash(hash);
    if (partner === undefined) throw new UnauthorizedError(UNKNOWN_KEY);
    return partner;
  }

  /**
   * Runs read-only `work` for the key's partner, as authenticate() then work
   * would, but in one step when the key was seen before: `work` starts at
   * once for the partner the key had, and is given the token hash, which its
   * statements confirm as they read (one of them also asks `exists` of
   * activeKeys(): no statement of its own for the key, no round trip first).
   * Its result counts only if they confirmed it: otherwise it throws
   * KeyNotConfirmedError, and a lookup decides — a key revoked since is
   * refused (401) and what `work` read is dropped. Revocation still acts at
   * once. Any other failure of the guessed work (a 400) is reported only
   * after a lookup: an unknown or revoked key gets its 401 first.
   */
  async readAs<T>(header: string | undefined, work: (partnerId: string, keyHash?: string) => Promise<T>): Promise<T> {
    const hash = tokenHash(header);
    if (hash === undefined) throw new UnauthorizedError(UNKNOWN_KEY);
    const guess = this.seen.get(hash);
    if (guess === undefined) return work(await this.lookUp(hash));
    try {
      const result = await work(guess, hash);
      this.remember(hash, guess);
      return result;
    } catch (err) {
      const partner = await this.lookUp(hash);
      if (partner === guess && !(err instanceof KeyNotConfirmedError)) throw err;
      return work(partner);
    }
  }

  /** The partner of the key with this hash (remembered for readAs); 401 when it is no active key. */
  private async lookUp(hash: string): Promise<string> {
    const partner = await this.repository.activePartnerByHash(hash);
    if (partner === undefined) {
      this.seen.delete(hash);
      throw new UnauthorizedError(UNKNOWN_KEY);
    }
    this.remember(hash, partner);
    return partner;
  }

  private remember(hash: string, partner: string): void {
    this.seen.delete(hash);
    this.seen.set(hash, partner);
    if (this.seen.size > REMEMBERED_KEYS) this.seen.delete(this.seen.keys().next().value as string);
  }

  /** Creates a key; the token is returned once and only its hash is kept. */
  async create(partnerId: string, name: string | null): Promise<{ id: string; token: string }> {
    if (!(await this.repository.partnerExists(partnerId))) throw new NotFoundError(`partner ${partnerId} does not exist`);
    const token = newToken();
    const now = Math.floor(Date.now() / 1000);
    const id = newId(now);
    await this.repository.insert({ id, partner_id: partnerId, name, token_hash: hashToken(token), created_at: now, revoked_at: null });
    return { id, token };
  }

  async list(partnerId?: string): Promise<ApiKeyInfo[]> {
    const rows = await this.repository.list(partnerId);
    return rows.map((r) => ({ id: r.id, partner: r.partner_id, name: r.name, created_at: r.created_at, revoked_at: r.revoked_at }));
  }

  async revoke(keyId: string): Promise<void> {
    if (!(await this.repository.revoke(keyId, Math.floor(Date.now() / 1000)))) throw new NotFoundError(`API key ${keyId} does not exist`);
  }
}

/** The hash of the header's token; undefined for a well-formed header whose token cannot be a key. */
function tokenHash(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') {
    throw new UnauthorizedError('an API key is required: send "Authorization: key <token>"');
  }
  const match = AUTH_HEADER.exec(header.trim());
  if (!match) throw new UnauthorizedError('the Authorization header must be "key <token>"');
  const token = match[1]!;
  return TOKEN_PATTERN.test(token) ? hashToken(token) : undefined;
}
