import { InvalidRequestError, KeyNotConfirmedError } from '../shared/errors.js';
import { ascii } from '../shared/bytes.js';
import { JsonBytes, type JsonBody } from '../shared/json.js';
import { pageOffset, parseOrderFilters, parsePaging } from './filters.js';
import { EventMapper, ORDER_AT, OrderMapper, PartnerMapper, TICKET_AT, TicketMapper, type TicketTuple } from './mappers.js';
import type { OrdersPageJson, OrdersPageRows, OrdersRepository } from './repository.js';
import type { OrdersPage } from './schemas.js';

export class OrdersService {
  constructor(private readonly repository: OrdersRepository) {}

  /**
   * GET /v2/resources/orders for one partner; `query` is the raw query string
   * object. The answer is the page's JSON as UTF-8 bytes (mappers.ts and
   * shared/json.ts say why). SQLite writes each object's JSON itself; from
   * PostgreSQL's rows it is written here (repository.ts says why). With
   * `keyHash` the list's statements confirm it is an active key of the
   * partner (ApiKeysService.readAs) and KeyNotConfirmedError is thrown if not.
   */
  async list(partnerId: string, query: Record<string, unknown>, keyHash?: string): Promise<JsonBody<OrdersPage>> {
    const errors: string[] = [];
    const { filters } = parseOrderFilters(query, errors);
    const { page, pageSize } = parsePaging(query, errors);
    if (errors.length > 0) throw new InvalidRequestError(errors);

    const read = await this.repository.page(partnerId, filters, pageSize, pageOffset({ page, pageSize }), keyHash);
    if (!read.keyActive) throw new KeyNotConfirmedError();
    const w = new JsonBytes(BYTES_PER_ORDER * read.orders.length + 1024);
    w.raw(DATA);
    const refs = read.form === 'json' ? writeFromJson(w, read) : await writeFromRows(w, read);
    w.raw(PAGINATION);
    w.number(page);
    w.raw(PAGE_SIZE);
    w.number(pageSize);
    w.raw(TOTAL);
    w.number(read.total);
    w.raw(EVENTS);
    refs.events();
    w.raw(PARTNERS);
    refs.partners();
    w.raw(END);
    return w.body();
  }
}

const DATA = ascii('{"data":[');
const PAGINATION = ascii('],"pagination":{"page":');
const PAGE_SIZE = ascii(',"page_size":');
const TOTAL = ascii(',"total":');
const EVENTS = ascii('},"refs":{"events":');
const PARTNERS = ascii(',"partners":');
const END = ascii('}}');
const COMMA = 0x2c;
/** Room to start with: an order with its tickets is ~1.5 KB of JSON (the bench's data); the writer grows past it if needed. */
const BYTES_PER_ORDER = 2048;

/** Writes the page's refs (events, partners) when called, each as an object by id. */
interface RefsWriter {
  events(): void;
  partners(): void;
}

/** The page's orders from the JSON SQLite wrote; its refs to follow. */
function writeFromJson(w: JsonBytes, read: OrdersPageJson): RefsWriter {
  for (let i = 0; i < read.orders.length; i++) {
    if (i > 0) w.byte(COMMA);
    w.json(read.orders[i]!.json);
  }
  return {
    events: () => writeRecord(w, read.events, (e) => w.json(e.json)),
    partners: () => writeRecord(w, read.partners, (p) => w.json(p.json)),
  };
}

/** The page's orders written from PostgreSQL's rows; its refs to follow. */
async function writeFromRows(w: JsonBytes, read: OrdersPageRows): Promise<RefsWriter> {
  // Each order's JSON before and after its tickets is written while the
  // tickets are still being read, into a buffer of its own: the process
  // would otherwise wait idle for them, then do this work after. Copying
  // the parts into place afterwards is one memcpy each.
  const parts = new JsonBytes(BYTES_PER_ORDER * read.orders.length);
  const ends: number[] = [];
  for (const o of read.orders) {
    OrderMapper.writeHead(parts, o);
    ends.push(parts.length);
    OrderMapper.writeTail(parts, o);
    ends.push(parts.length);
  }
  const refs = await read.refs;

  // tickets come ordered by order and position
  const ticketsByOrder = new Map<string, TicketTuple[]>();
  for (const t of refs.tickets) {
    const orderId = t[TICKET_AT.order_id];
    let list = ticketsByOrder.get(orderId);
    if (!list) ticketsByOrder.set(orderId, (list = []));
    list.push(t);
  }
  let start = 0;
  for (let i = 0; i < read.orders.length; i++) {
    const headEnd = ends[2 * i]!;
    const tailEnd = ends[2 * i + 1]!;
    if (i > 0) w.byte(COMMA);
    w.copy(parts, start, headEnd);
    TicketMapper.writeList(w, ticketsByOrder.get(read.orders[i]![ORDER_AT.id]) ?? []);
    w.copy(parts, headEnd, tailEnd);
    start = tailEnd;
  }
  return {
    events: () => writeRecord(w, refs.events, (e) => EventMapper.write(w, e)),
    partners: () => writeRecord(w, refs.partners, (p) => PartnerMapper.write(w, p)),
  };
}

/** An object of items by id, in their order (ids are primary keys: unique). */
function writeRecord<T extends { id: string }>(w: JsonBytes, items: readonly T[], write: (item: T) => void): void {
  w.byte(0x7b);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) w.byte(COMMA);
    w.string(items[i]!.id);
    w.byte(0x3a);
    write(items[i]!);
  }
  w.byte(0x7d);
}
