import { InvalidRequestError, KeyNotConfirmedError } from '../shared/errors.js';
import { flat, jsonRecord, type JsonPieces, type JsonText } from '../shared/json.js';
import { pageOffset, parseOrderFilters, parsePaging } from './filters.js';
import { EventMapper, OrderMapper, PartnerMapper, TicketMapper } from './mappers.js';
import type { OrdersPageJson, OrdersPageRows, OrdersRepository } from './repository.js';
import type { Event, Order, OrdersPage, Partner, Ticket } from './schemas.js';

export class OrdersService {
  constructor(private readonly repository: OrdersRepository) {}

  /**
   * GET /v2/resources/orders for one partner; `query` is the raw query string
   * object. The answer is the page as JSON text (mappers.ts says why), in
   * pieces: one per order, then the rest (jsonBytes encodes them). SQLite
   * writes each object's JSON itself; from PostgreSQL's rows it is written
   * here (repository.ts says why). With `keyHash` the list's statements
   * confirm it is an active key of the partner (ApiKeysService.readAs) and
   * KeyNotConfirmedError is thrown if not.
   */
  async list(partnerId: string, query: Record<string, unknown>, keyHash?: string): Promise<JsonPieces<OrdersPage>> {
    const errors: string[] = [];
    const { filters } = parseOrderFilters(query, errors);
    const { page, pageSize } = parsePaging(query, errors);
    if (errors.length > 0) throw new InvalidRequestError(errors);

    const read = await this.repository.page(partnerId, filters, pageSize, pageOffset({ page, pageSize }), keyHash);
    if (!read.keyActive) throw new KeyNotConfirmedError();
    const { orders, events, partners } = read.form === 'json' ? this.fromJson(read) : await this.fromRows(read);
    const pieces: string[] = ['{"data":['];
    for (let i = 0; i < orders.length; i++) pieces.push(i === 0 ? orders[i]! : `,${orders[i]}`);
    pieces.push(
      `],"pagination":{"page":${page},"page_size":${pageSize},"total":${read.total}},"refs":{"events":${events},"partners":${partners}}}`,
    );
    return pieces;
  }

  /** The page's objects from the JSON SQLite wrote. */
  private fromJson(read: OrdersPageJson): PageJson {
    return {
      orders: read.orders.map((o) => o.json),
      events: jsonRecord(read.events.map((e) => [e.id, e.json] as const)),
      partners: jsonRecord(read.partners.map((p) => [p.id, p.json] as const)),
    };
  }

  /** The page's objects written from PostgreSQL's rows. */
  private async fromRows(read: OrdersPageRows): Promise<PageJson> {
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
    return {
      orders: read.orders.map((o, i) => OrderMapper.withTickets(around[i]!, ticketsByOrder.get(o.id) ?? [])),
      events: jsonRecord(refs.events.map((e) => [e.id, EventMapper.toJson(e)] as const)),
      partners: jsonRecord(refs.partners.map((p) => [p.id, PartnerMapper.toJson(p)] as const)),
    };
  }
}

/** A page's objects as JSON text: each order, and the refs' records. */
interface PageJson {
  orders: JsonText<Order>[];
  events: JsonText<Record<string, Event>>;
  partners: JsonText<Record<string, Partner>>;
}
