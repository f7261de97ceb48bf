import { InvalidRequestError } from '../shared/errors.js';
import { pageOffset, parseOrderFilters, parsePaging } from './filters.js';
import { EventMapper, OrderMapper, PartnerMapper, TicketMapper } from './mappers.js';
import type { OrdersRepository } from './repository.js';
import type { Event, OrdersPage, Partner, Ticket } from './schemas.js';

export class OrdersService {
  constructor(private readonly repository: OrdersRepository) {}

  /** GET /v2/resources/orders for one partner; `query` is the raw query string object. */
  async list(partnerId: string, query: Record<string, unknown>): Promise<OrdersPage> {
    const errors: string[] = [];
    const { filters } = parseOrderFilters(query, errors);
    const { page, pageSize } = parsePaging(query, errors);
    if (errors.length > 0) throw new InvalidRequestError(errors);

    const rows = await this.repository.page(partnerId, filters, pageSize, pageOffset({ page, pageSize }));

    const ticketsByOrder = new Map<string, Ticket[]>();
    for (const t of rows.tickets) {
      let list = ticketsByOrder.get(t.order_id);
      if (!list) ticketsByOrder.set(t.order_id, (list = []));
      list.push(TicketMapper.toApi(t));
    }
    const events: Record<string, Event> = {};
    for (const e of rows.events) events[e.id] = EventMapper.toApi(e);
    const partners: Record<string, Partner> = {};
    for (const p of rows.partners) partners[p.id] = PartnerMapper.toApi(p);

    return {
      data: rows.orders.map((o) => OrderMapper.toApi(o, ticketsByOrder.get(o.id) ?? [])),
      pagination: { page, page_size: pageSize, total: rows.total },
      refs: { events, partners },
    };
  }
}
