import { InvalidRequestError } from '../shared/errors.js';
import { pageOffset, parseOrderFilters, parsePaging } from './filters.js';
import { OrdersPageMapper } from './mappers.js';
import type { OrdersRepository } from './repository.js';

export class OrdersService {
  constructor(private readonly repository: OrdersRepository) {}

  /**
   * GET /v2/resources/orders for one partner; `query` is the raw query string
   * object. Returns the OrdersPage as UTF-8 JSON, assembled from the orders'
   * stored documents (docs/DECISIONS.md, "Stored documents").
   */
  async list(partnerId: string, query: Record<string, unknown>): Promise<Buffer> {
    const errors: string[] = [];
    const { filters } = parseOrderFilters(query, errors);
    const { page, pageSize } = parsePaging(query, errors);
    if (errors.length > 0) throw new InvalidRequestError(errors);

    const rows = await this.repository.page(partnerId, filters, pageSize, pageOffset({ page, pageSize }));

    return OrdersPageMapper.toBody(rows, { page, page_size: pageSize, total: rows.total });
  }
}
