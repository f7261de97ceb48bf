import { NotFoundError, UnauthorizedError } from '../shared/errors.js';
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

export class ApiKeysService {
  constructor(private readonly repository: ApiKeysRepository) {}

  /** SPEC §2: `Authorization: key <token>`, scheme case-insensitive. Returns the partner id. */
  async authenticate(header: string | undefined): Promise<string> {
    if (header === undefined || header.trim() === '') {
      throw new UnauthorizedError('an API key is required: send "Authorization: key <token>"');
    }
    const match = AUTH_HEADER.exec(header.trim());
    if (!match) throw new UnauthorizedError('the Authorization header must be "key <token>"');
    const token = match[1]!;
    // A malformed token cannot be a key; no need to ask the database.
    const partner = TOKEN_PATTERN.test(token) ? await this.repository.activePartnerByHash(hashToken(token)) : undefined;
    if (partner === undefined) throw new UnauthorizedError('the API key is unknown or revoked');
    return partner;
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
