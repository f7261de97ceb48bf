import { InvalidRequestError } from '../shared/errors.js';
import { flat, jsonRecord, type JsonPieces, type JsonText } from '../shared/json.js';
import { pageOffset, parseOrderFilters, parsePaging } from './filters.js';
import { EventMapper, OrderMapper, PartnerMapper, TicketMapper } from './mappers.js';
import type { OrdersPageJson, OrdersPageRows, OrdersRepository } from './repository.js';
import type { Event, OrdersPage, Partner, Ticket } from './schemas.js';

export class OrdersService {
  constructor(private readonly repository: OrdersRepository) {}

  /**
   * GET /v2/resources/orders for one partner; `query` is the raw query string
   * object. The answer is the page as JSON text (mappers.ts says why), in
   * pieces: one per order, then the rest (jsonBytes encodes them). SQLite
   * writes each object's JSON itself; from PostgreSQL's rows it is written
   * here (repository.ts says why).
   */
  async list(partnerId: string, query: Record<string, unknown>): Promise<JsonPieces<OrdersPage>> {
    const errors: string[] = [];
    const { filters } = parseOrderFilters(query, errors);
    const { page, pageSize } = parsePaging(query, errors);
    if (errors.length > 0) throw new InvalidRequestError(errors);

    const read = await this.repository.page(partnerId, filters, pageSize, pageOffset({ page, pageSize }));
    const { data, events, partners } = read.form === 'json' ? this.fromJson(read) : await this.fromRows(read);
    data.push(
      `],"pagination":{"page":${page},"page_size":${pageSize},"total":${read.total}},"refs":{"events":${events},"partners":${partners}}}`,
    );
    return data;
  }

  /** The page's pieces from JSON SQLite wrote: `data` from its start to its last order. */
  private fromJson(read: OrdersPageJson): PagePieces {
    const data: string[] = ['{"data":['];
    for (let i = 0; i < read.orders.length; i++) data.push(i === 0 ? read.orders[i]!.json : `,${read.orders[i]!.json}`);
    return {
      data,
      events: jsonRecord(read.events.map((e) => [e.id, e.json] as const)),
      partners: jsonRecord(read.partners.map((p) => [p.id, p.json] as const)),
    };
  }

  /** The page's pieces written from PostgreSQL's rows. */
  private async fromRows(read: OrdersPageRows): Promise<PagePieces> {
    // The orders' text around their tickets is written (and flattened) while
    // the refs are still being read: the process would otherwise wait idle
    // for them, then do this work after.
    const around = read.orders.map((o) => {
      const [head, tail] = OrderMapper.toJsonAround(o);
      return [flat(head), flat(tail)] as const;
    });
    const refs = await read.refs;

    // tickets come ordered by order and position
    const ticketsByOrder = new Map<string, JsonText<Ticket>[]>();
    for (const t of refs.tickets) {
      let list = ticketsByOrder.get(t.order_id);
      if (!list) ticketsByOrder.set(t.order_id, (list = []));
      list.push(TicketMapper.toJson(t));
    }
    const data: string[] = ['{"data":['];
    for (let i = 0; i < read.orders.length; i++) {
      const json = OrderMapper.withTickets(around[i]!, ticketsByOrder.get(read.orders[i]!.id) ?? []);
      data.push(i === 0 ? json : `,${json}`);
    }
    return {
      data,
      events: jsonRecord(refs.events.map((e) => [e.id, EventMapper.toJson(e)] as const)),
      partners: jsonRecord(refs.partners.map((p) => [p.id, PartnerMapper.toJson(p)] as const)),
    };
  }
}

/** A page's JSON in pieces: `data` up to its last order, and the refs' objects. */
interface PagePieces {
  data: string[];
  events: JsonText<Record<string, Event>>;
  partners: JsonText<Record<string, Partner>>;
}
