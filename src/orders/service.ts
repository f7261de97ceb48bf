import { InvalidRequestError } from '../shared/errors.js';
import { flat, jsonRecord, type JsonPieces, type JsonText } from '../shared/json.js';
import { pageOffset, parseOrderFilters, parsePaging } from './filters.js';
import { EventMapper, OrderMapper, PartnerMapper, TicketMapper } from './mappers.js';
import type { OrdersRepository } from './repository.js';
import type { OrdersPage, Ticket } from './schemas.js';

export class OrdersService {
  constructor(private readonly repository: OrdersRepository) {}

  /**
   * GET /v2/resources/orders for one partner; `query` is the raw query string
   * object. The answer is the page as JSON text (mappers.ts says why), in
   * pieces: one per order, then the rest (jsonBytes encodes them).
   */
  async list(partnerId: string, query: Record<string, unknown>): Promise<JsonPieces<OrdersPage>> {
    const errors: string[] = [];
    const { filters } = parseOrderFilters(query, errors);
    const { page, pageSize } = parsePaging(query, errors);
    if (errors.length > 0) throw new InvalidRequestError(errors);

    const rows = await this.repository.page(partnerId, filters, pageSize, pageOffset({ page, pageSize }));

    // The orders' text around their tickets is written (and flattened) while
    // the refs are still being read: on PostgreSQL the process would
    // otherwise wait idle for them, then do this work after.
    const around = rows.orders.map((o) => {
      const [head, tail] = OrderMapper.toJsonAround(o);
      return [flat(head), flat(tail)] as const;
    });
    const refs = await rows.refs;

    // tickets come ordered by order and position
    const ticketsByOrder = new Map<string, JsonText<Ticket>[]>();
    for (const t of refs.tickets) {
      let list = ticketsByOrder.get(t.order_id);
      if (!list) ticketsByOrder.set(t.order_id, (list = []));
      list.push(TicketMapper.toJson(t));
    }
    const pieces: string[] = ['{"data":['];
    for (let i = 0; i < rows.orders.length; i++) {
      const json = OrderMapper.withTickets(around[i]!, ticketsByOrder.get(rows.orders[i]!.id) ?? []);
      pieces.push(i === 0 ? json : `,${json}`);
    }
    const events = jsonRecord(refs.events.map((e) => [e.id, EventMapper.toJson(e)] as const));
    const partners = jsonRecord(refs.partners.map((p) => [p.id, PartnerMapper.toJson(p)] as const));
    pieces.push(
      `],"pagination":{"page":${page},"page_size":${pageSize},"total":${rows.total}},"refs":{"events":${events},"partners":${partners}}}`,
    );
    return pieces;
  }
}
