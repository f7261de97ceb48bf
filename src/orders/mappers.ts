/**
 * Rows <-> API objects: the one place per object where the storage shape
 * (seconds, minor units, 0/1, JSON text) meets the API shape (SPEC §5).
 *
 * Towards the API each object is written as JSON straight from its row,
 * keys in the schema's order, rather than built as an object and passed to
 * JSON.stringify: the list's answer is the hot path, and this spares an
 * object per order, ticket and ref plus a parse and re-stringify of every
 * stored JSON column (docs/DECISIONS.md). Two writers per object, the same
 * JSON (the property tests hold both to JSON.stringify):
 *  - json(): SQL expressions (db/json.ts) with which SQLite writes the text
 *    in its statements — faster than reading the rows into JavaScript;
 *  - write(): JavaScript, from rows read from PostgreSQL (where the
 *    database writing it measured slower, docs/DECISIONS.md), straight into
 *    UTF-8 bytes (shared/json.ts says why); orders and tickets come as
 *    arrays of their columns' values (ORDER_TUPLE, TICKET_TUPLE), events
 *    and partners (a few per page) as row objects.
 * Stored JSON columns (promocodes, seats, sets_values, …) were written by
 * toRows with JSON.stringify, and JSON.stringify(JSON.parse(s)) === s for
 * such text, so they are spliced in as they are.
 */
import type {
  EventRow,
  EventTable,
  NewOrderRow,
  NewTicketRow,
  OrderAccessTable,
  OrderRow,
  PartnerRow,
  PartnerTable,
  TicketRow,
} from '../db/types.js';
import { positions, type Tuple } from '../db/columns.js';
import type { JsonMember, JsonSql, JsonWriter } from '../db/json.js';
import { parseMoney } from '../shared/money.js';
import { ascii } from '../shared/bytes.js';
import type { JsonBytes } from '../shared/json.js';
import { parseTimestamp } from '../shared/time.js';
import type { Customer, Event, Order, Partner, Ticket } from './schemas.js';

/** Inputs reaching toRow() were validated against the schemas, so these cannot fail. */
function money(value: string): number {
  return parseMoney(value)!;
}
function seconds(value: string): number {
  return parseTimestamp(value)!;
}

const CLOSE = 0x7d; // }
const COMMA = 0x2c;

/** The constant parts of the objects' JSON, in the schema's key order, encoded once. */
const K = {
  partner: { id: ascii('{"id":'), name: ascii(',"name":') },
  event: {
    id: ascii('{"id":'),
    org: ascii(',"org":'),
    title: ascii(',"title":{"text":'),
    desc: ascii(',"desc":'),
    start: ascii('},"lifetime":{"start":'),
    finish: ascii(',"finish":'),
    status: ascii('},"status":'),
    timezone: ascii(',"timezone":'),
  },
  ticket: {
    id: ascii('{"id":'),
    number: ascii(',"number":'),
    serial: ascii(',"serial":'),
    barcode: ascii(',"barcode":'),
    set: ascii(',"set":'),
    status: ascii(',"status":'),
    price: ascii(',"price":'),
    seat: ascii(',"seat":'),
  },
  values: { discount: ascii(',"discount":'), nominal: ascii(',"nominal":'), extra: ascii(',"extra":'), full: ascii(',"full":') },
  order: {
    id: ascii('{"id":'),
    number: ascii(',"number":'),
    code: ascii(',"code":'),
    status: ascii(',"status":'),
    createdAt: ascii(',"created_at":'),
    doneAt: ascii(',"done_at":'),
    expiredAfter: ascii(',"expired_after":'),
    event: ascii(',"event":'),
    org: ascii(',"org":'),
    vendor: ascii(',"vendor":'),
    origin: ascii(',"origin":'),
    promocodes: ascii(',"promocodes":'),
    invitation: ascii(',"settings":{"invitation":'),
    sendTickets: ascii(',"send_tickets":'),
    subscribeAgree: ascii(',"subscribe_agree":'),
    customerName: ascii(',"customer":{"name":'),
    customerEmail: ascii(',"email":'),
    customerPhone: ascii(',"phone":'),
    customerLang: ascii(',"lang":'),
    tickets: ascii('},"tickets":['),
    values: ascii('],"values":{"price":'),
    setsValues: ascii(',"sets_values":'),
    viralPromocodes: ascii(',"viral_promocodes":'),
    vendorData: ascii('},"vendor_data":'),
  },
};

/** The five money values, columns of both orders and tickets. */
const MONEY_COLUMNS = ['price', 'discount', 'nominal', 'extra', 'full_value'] as const;

/**
 * The columns write() reads of an order and of a ticket, in the order
 * PostgreSQL's list selects them and returns them as arrays (db/columns.ts
 * `Tuple`); `ORDER_AT.price` is the price's position in an OrderTuple.
 * Not read: orders.tickets_count, tickets.position (the statement orders by it).
 */
export const ORDER_TUPLE = [
  'id',
  'number',
  'code',
  'status',
  'created_at',
  'done_at',
  'expired_after',
  'event_id',
  'org_id',
  'vendor_id',
  'origin',
  'promocodes',
  'invitation',
  'send_tickets',
  'subscribe_agree',
  'has_customer',
  'customer_name',
  'customer_email',
  'customer_phone',
  'customer_lang',
  ...MONEY_COLUMNS,
  'sets_values',
  'viral_promocodes',
  'vendor_data',
] as const satisfies readonly (keyof OrderRow)[];
export type OrderTuple = Tuple<OrderRow, typeof ORDER_TUPLE>;
export const ORDER_AT = positions(ORDER_TUPLE);

export const TICKET_TUPLE = [
  'id',
  'order_id',
  'number',
  'serial',
  'barcode',
  'set_id',
  'status',
  ...MONEY_COLUMNS,
  'seat',
] as const satisfies readonly (keyof TicketRow)[];
export type TicketTuple = Tuple<TicketRow, typeof TICKET_TUPLE>;
export const TICKET_AT = positions(TICKET_TUPLE);

/** The five money values of an order or a ticket, from the price's value on (its key already written). */
function writeValues(w: JsonBytes, price: number, discount: number, nominal: number, extra: number, full: number): void {
  w.money(price);
  w.raw(K.values.discount);
  w.money(discount);
  w.raw(K.values.nominal);
  w.money(nominal);
  w.raw(K.values.extra);
  w.money(extra);
  w.raw(K.values.full);
  w.money(full);
}

export const PartnerMapper = {
  /** The partner's JSON, written by SQLite from a `partners` row. */
  json(w: JsonWriter): JsonSql {
    return w.object([
      { key: 'id', value: w.string('partners.id') },
      { key: 'name', value: w.string('partners.name') },
    ]);
  },
  write(w: JsonBytes, row: PartnerRow): void {
    w.raw(K.partner.id);
    w.string(row.id);
    w.raw(K.partner.name);
    w.string(row.name);
    w.byte(CLOSE);
  },
  toRow(partner: Partner): PartnerTable {
    return { id: partner.id, name: partner.name };
  },
};

export const EventMapper = {
  /** The event's JSON, written by SQLite from an `events` row. */
  json(w: JsonWriter): JsonSql {
    return w.object([
      { key: 'id', value: w.string('events.id') },
      { key: 'org', value: w.string('events.org_id') },
      {
        key: 'title',
        value: w.object([
          { key: 'text', value: w.string('events.title_text') },
          { key: 'desc', value: w.string('events.title_desc') },
        ]),
      },
      {
        key: 'lifetime',
        value: w.object([
          { key: 'start', value: w.timestamp('events.start_at') },
          { key: 'finish', value: w.timestamp('events.finish_at') },
        ]),
      },
      { key: 'status', value: w.string('events.status') },
      { key: 'timezone', value: w.string('events.timezone') },
    ]);
  },
  write(w: JsonBytes, row: EventRow): void {
    w.raw(K.event.id);
    w.string(row.id);
    w.raw(K.event.org);
    w.string(row.org_id);
    w.raw(K.event.title);
    w.string(row.title_text);
    w.raw(K.event.desc);
    w.stringOrNull(row.title_desc);
    w.raw(K.event.start);
    w.timestamp(row.start_at);
    w.raw(K.event.finish);
    w.timestamp(row.finish_at);
    w.raw(K.event.status);
    w.string(row.status);
    w.raw(K.event.timezone);
    w.string(row.timezone);
    w.byte(CLOSE);
  },
  toRow(event: Event): EventTable {
    return {
      id: event.id,
      org_id: event.org,
      title_text: event.title.text,
      title_desc: event.title.desc,
      start_at: seconds(event.lifetime.start),
      finish_at: seconds(event.lifetime.finish),
      status: event.status,
      timezone: event.timezone,
    };
  },
};

/** The five money values of an order or a ticket (`full` is stored as full_value). */
function values(w: JsonWriter, table: string): JsonMember[] {
  return [
    { key: 'price', value: w.money(`${table}.price`) },
    { key: 'discount', value: w.money(`${table}.discount`) },
    { key: 'nominal', value: w.money(`${table}.nominal`) },
    { key: 'extra', value: w.money(`${table}.extra`) },
    { key: 'full', value: w.money(`${table}.full_value`) },
  ];
}

export const TicketMapper = {
  /** The ticket's JSON, written by SQLite from a `tickets` row. */
  json(w: JsonWriter): JsonSql {
    return w.object([
      { key: 'id', value: w.string('tickets.id') },
      { key: 'number', value: w.integer('tickets.number') },
      { key: 'serial', value: w.string('tickets.serial') },
      { key: 'barcode', value: w.string('tickets.barcode') },
      { key: 'set', value: w.string('tickets.set_id') },
      { key: 'status', value: w.string('tickets.status') },
      ...values(w, 'tickets'),
      // no seat: the key is absent, as it was in the imported ticket
      { key: 'seat', value: w.stored('tickets.seat'), when: 'tickets.seat IS NOT NULL' },
    ]);
  },
  write(w: JsonBytes, t: TicketTuple): void {
    const at = TICKET_AT;
    w.raw(K.ticket.id);
    w.string(t[at.id]);
    w.raw(K.ticket.number);
    w.number(t[at.number]);
    w.raw(K.ticket.serial);
    w.string(t[at.serial]);
    w.raw(K.ticket.barcode);
    w.stringOrNull(t[at.barcode]);
    w.raw(K.ticket.set);
    w.string(t[at.set_id]);
    w.raw(K.ticket.status);
    w.string(t[at.status]);
    w.raw(K.ticket.price);
    writeValues(w, t[at.price], t[at.discount], t[at.nominal], t[at.extra], t[at.full_value]);
    // no seat: the key is absent, as it was in the imported ticket
    const seat = t[at.seat];
    if (seat !== null) {
      w.raw(K.ticket.seat);
      w.json(seat);
    }
    w.byte(CLOSE);
  },
  /** An order's tickets, comma-separated: the inside of its `tickets` array. */
  writeList(w: JsonBytes, tickets: readonly TicketTuple[]): void {
    for (let i = 0; i < tickets.length; i++) {
      if (i > 0) w.byte(COMMA);
      TicketMapper.write(w, tickets[i]!);
    }
  },
  toRow(ticket: Ticket, orderId: string, position: number): NewTicketRow {
    return {
      id: ticket.id,
      order_id: orderId,
      position,
      number: ticket.number,
      serial: ticket.serial,
      barcode: ticket.barcode,
      set_id: ticket.set,
      status: ticket.status,
      price: money(ticket.price),
      discount: money(ticket.discount),
      nominal: money(ticket.nominal),
      extra: money(ticket.extra),
      full_value: money(ticket.full),
      seat: ticket.seat === undefined ? null : JSON.stringify(ticket.seat),
    };
  },
};

/** SPEC §5: an order "has customer data" when name, email or phone is a non-empty string. */
export function hasCustomerData(customer: Customer | undefined): boolean {
  if (!customer) return false;
  return [customer.name, customer.email, customer.phone].some((v) => typeof v === 'string' && v.trim() !== '');
}

export interface OrderRows {
  order: NewOrderRow;
  tickets: NewTicketRow[];
  access: OrderAccessTable[];
}

export const OrderMapper = {
  /** The order's JSON with its tickets, written by SQLite from an `orders` row (and its `tickets`). */
  json(w: JsonWriter): JsonSql {
    return w.object([
      { key: 'id', value: w.string('orders.id') },
      { key: 'number', value: w.integer('orders.number') },
      { key: 'code', value: w.string('orders.code') },
      { key: 'status', value: w.string('orders.status') },
      { key: 'created_at', value: w.timestamp('orders.created_at') },
      { key: 'done_at', value: w.timestamp('orders.done_at', true) },
      { key: 'expired_after', value: w.timestamp('orders.expired_after') },
      { key: 'event', value: w.string('orders.event_id') },
      { key: 'org', value: w.string('orders.org_id') },
      { key: 'vendor', value: w.string('orders.vendor_id') },
      { key: 'origin', value: w.string('orders.origin') },
      { key: 'promocodes', value: w.stored('orders.promocodes') },
      {
        key: 'settings',
        value: w.object([
          { key: 'invitation', value: w.boolean('orders.invitation') },
          { key: 'send_tickets', value: w.boolean('orders.send_tickets') },
          { key: 'subscribe_agree', value: w.boolean('orders.subscribe_agree') },
          // settings.customer only for an order with customer data (SPEC §5)
          {
            key: 'customer',
            when: 'orders.has_customer = 1',
            value: w.object([
              { key: 'name', value: w.string('orders.customer_name') },
              { key: 'email', value: w.string('orders.customer_email') },
              { key: 'phone', value: w.string('orders.customer_phone') },
              { key: 'lang', value: w.string('orders.customer_lang') },
            ]),
          },
        ]),
      },
      { key: 'tickets', value: w.array(TicketMapper.json(w), 'tickets WHERE tickets.order_id = orders.id', 'tickets.position') },
      {
        key: 'values',
        value: w.object([
          ...values(w, 'orders'),
          { key: 'sets_values', value: w.stored('orders.sets_values') },
          { key: 'viral_promocodes', value: w.stored('orders.viral_promocodes') },
        ]),
      },
      { key: 'vendor_data', value: w.stored('orders.vendor_data') },
    ]);
  },
  /** The order's JSON with its tickets (by position). */
  write(w: JsonBytes, o: OrderTuple, tickets: readonly TicketTuple[]): void {
    OrderMapper.writeHead(w, o);
    TicketMapper.writeList(w, tickets);
    OrderMapper.writeTail(w, o);
  },

  /**
   * The order's JSON before its tickets, up to `"tickets":[`. The list
   * writes it, and writeTail's part, while the tickets are still being read
   * (OrdersService.list).
   */
  writeHead(w: JsonBytes, o: OrderTuple): void {
    const at = ORDER_AT;
    w.raw(K.order.id);
    w.string(o[at.id]);
    w.raw(K.order.number);
    w.number(o[at.number]);
    w.raw(K.order.code);
    w.stringOrNull(o[at.code]);
    w.raw(K.order.status);
    w.string(o[at.status]);
    w.raw(K.order.createdAt);
    w.timestamp(o[at.created_at]);
    w.raw(K.order.doneAt);
    w.timestampOrNull(o[at.done_at]);
    w.raw(K.order.expiredAfter);
    w.timestamp(o[at.expired_after]);
    w.raw(K.order.event);
    w.string(o[at.event_id]);
    w.raw(K.order.org);
    w.string(o[at.org_id]);
    w.raw(K.order.vendor);
    w.stringOrNull(o[at.vendor_id]);
    w.raw(K.order.origin);
    w.string(o[at.origin]);
    w.raw(K.order.promocodes);
    w.json(o[at.promocodes]);
    w.raw(K.order.invitation);
    w.boolean(o[at.invitation] === 1);
    w.raw(K.order.sendTickets);
    w.boolean(o[at.send_tickets] === 1);
    w.raw(K.order.subscribeAgree);
    w.boolean(o[at.subscribe_agree] === 1);
    // settings.customer only for an order with customer data (SPEC §5)
    if (o[at.has_customer] === 1) {
      w.raw(K.order.customerName);
      w.stringOrNull(o[at.customer_name]);
      w.raw(K.order.customerEmail);
      w.stringOrNull(o[at.customer_email]);
      w.raw(K.order.customerPhone);
      w.stringOrNull(o[at.customer_phone]);
      w.raw(K.order.customerLang);
      w.stringOrNull(o[at.customer_lang]);
      w.byte(CLOSE);
    }
    w.raw(K.order.tickets);
  },

  /** The order's JSON after its tickets, from the array's `]`. */
  writeTail(w: JsonBytes, o: OrderTuple): void {
    const at = ORDER_AT;
    w.raw(K.order.values);
    writeValues(w, o[at.price], o[at.discount], o[at.nominal], o[at.extra], o[at.full_value]);
    w.raw(K.order.setsValues);
    w.json(o[at.sets_values]);
    w.raw(K.order.viralPromocodes);
    w.json(o[at.viral_promocodes]);
    w.raw(K.order.vendorData);
    w.json(o[at.vendor_data]);
    w.byte(CLOSE);
  },

  toRows(order: Order): OrderRows {
    const customer = order.settings.customer;
    const hasCustomer = hasCustomerData(customer);
    const createdAt = seconds(order.created_at);
    const row: NewOrderRow = {
      id: order.id,
      number: order.number,
      code: order.code,
      status: order.status,
      created_at: createdAt,
      done_at: order.done_at === null ? null : seconds(order.done_at),
      expired_after: seconds(order.expired_after),
      event_id: order.event,
      org_id: order.org,
      vendor_id: order.vendor,
      origin: order.origin,
      promocodes: JSON.stringify(order.promocodes),
      invitation: order.settings.invitation ? 1 : 0,
      send_tickets: order.settings.send_tickets ? 1 : 0,
      subscribe_agree: order.settings.subscribe_agree ? 1 : 0,
      has_customer: hasCustomer ? 1 : 0,
      customer_name: hasCustomer ? (customer?.name ?? null) : null,
      customer_email: hasCustomer ? (customer?.email ?? null) : null,
      customer_phone: hasCustomer ? (customer?.phone ?? null) : null,
      customer_lang: hasCustomer ? (customer?.lang ?? null) : null,
      price: money(order.values.price),
      discount: money(order.values.discount),
      nominal: money(order.values.nominal),
      extra: money(order.values.extra),
      full_value: money(order.values.full),
      tickets_count: order.tickets.length,
      sets_values: JSON.stringify(order.values.sets_values),
      viral_promocodes: JSON.stringify(order.values.viral_promocodes),
      vendor_data: JSON.stringify(order.vendor_data),
    };
    const partners = order.vendor !== null && order.vendor !== order.org ? [order.org, order.vendor] : [order.org];
    const access = partners.map((partner_id) => ({
      partner_id,
      order_id: order.id,
      created_at: createdAt,
      status: order.status,
      event_id: order.event,
      has_customer: row.has_customer,
    }));
    return {
      order: row,
      tickets: order.tickets.map((t, i) => TicketMapper.toRow(t, order.id, i)),
      access,
    };
  },
};
