/**
 * Rows <-> API objects: the one place per object where the storage shape
 * (seconds, minor units, 0/1, JSON text) meets the API shape (SPEC §5).
 *
 * Towards the API each object is written as JSON text straight from its row,
 * keys in the schema's order, rather than built as an object and passed to
 * JSON.stringify: the list's answer is the hot path, and this spares an
 * object per order, ticket and ref plus a parse and re-stringify of every
 * stored JSON column (docs/DECISIONS.md). Two writers per object, the same
 * text (the property tests hold both to JSON.stringify):
 *  - json(): SQL expressions (db/json.ts) with which SQLite writes the text
 *    in its statements — faster than reading the rows into JavaScript;
 *  - toJson(): JavaScript, from rows read from PostgreSQL, where the
 *    database writing it measured slower (docs/DECISIONS.md).
 * Stored JSON columns (promocodes, seats, sets_values, …) were written by
 * toRows with JSON.stringify, and JSON.stringify(JSON.parse(s)) === s for
 * such text, so they are spliced in as they are. Strings from rows are
 * escaped as JSON.stringify does; numbers, money and timestamps are
 * formatted and need no escaping.
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
import type { JsonMember, JsonSql, JsonWriter } from '../db/json.js';
import { formatMoney, parseMoney } from '../shared/money.js';
import { jsonArray, jsonString, jsonStringOrNull, type JsonText } from '../shared/json.js';
import { formatTimestamp, parseTimestamp } from '../shared/time.js';
import type { Customer, Event, Order, Partner, Ticket } from './schemas.js';

/** Inputs reaching toRow() were validated against the schemas, so these cannot fail. */
function money(value: string): number {
  return parseMoney(value)!;
}
function seconds(value: string): number {
  return parseTimestamp(value)!;
}

export const PartnerMapper = {
  /** The partner's JSON, written by SQLite from a `partners` row. */
  json(w: JsonWriter): JsonSql {
    return w.object([
      { key: 'id', value: w.string('partners.id') },
      { key: 'name', value: w.string('partners.name') },
    ]);
  },
  toJson(row: PartnerRow): JsonText<Partner> {
    return `{"id":${jsonString(row.id)},"name":${jsonString(row.name)}}`;
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
  toJson(row: EventRow): JsonText<Event> {
    return (
      `{"id":${jsonString(row.id)},"org":${jsonString(row.org_id)},` +
      `"title":{"text":${jsonString(row.title_text)},"desc":${jsonStringOrNull(row.title_desc)}},` +
      `"lifetime":{"start":"${formatTimestamp(row.start_at)}","finish":"${formatTimestamp(row.finish_at)}"},` +
      `"status":${jsonString(row.status)},"timezone":${jsonString(row.timezone)}}`
    );
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
  toJson(row: TicketRow): JsonText<Ticket> {
    return (
      `{"id":${jsonString(row.id)},"number":${row.number},"serial":${jsonString(row.serial)},` +
      `"barcode":${jsonStringOrNull(row.barcode)},"set":${jsonString(row.set_id)},"status":${jsonString(row.status)},` +
      `"price":"${formatMoney(row.price)}","discount":"${formatMoney(row.discount)}","nominal":"${formatMoney(row.nominal)}",` +
      `"extra":"${formatMoney(row.extra)}","full":"${formatMoney(row.full_value)}"` +
      // no seat: the key is absent, as it was in the imported ticket
      `${row.seat === null ? '' : `,"seat":${row.seat}`}}`
    );
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
  toJson(row: OrderRow, tickets: readonly JsonText<Ticket>[]): JsonText<Order> {
    return OrderMapper.withTickets(OrderMapper.toJsonAround(row), tickets);
  },

  /** The order's JSON text from toJsonAround's parts and its tickets. */
  withTickets([head, tail]: readonly [head: string, tail: string], tickets: readonly JsonText<Ticket>[]): JsonText<Order> {
    return head + jsonArray(tickets) + tail;
  },

  /**
   * The order's JSON text without its tickets: before (ending in
   * `"tickets":`) and after the tickets array. The list writes these while
   * the tickets are still being read (OrdersService.list).
   */
  toJsonAround(row: OrderRow): readonly [head: string, tail: string] {
    // settings.customer only for an order with customer data (SPEC §5)
    const customer =
      row.has_customer === 1
        ? `,"customer":{"name":${jsonStringOrNull(row.customer_name)},"email":${jsonStringOrNull(row.customer_email)},` +
          `"phone":${jsonStringOrNull(row.customer_phone)},"lang":${jsonStringOrNull(row.customer_lang)}}`
        : '';
    const head =
      `{"id":${jsonString(row.id)},"number":${row.number},"code":${jsonStringOrNull(row.code)},"status":${jsonString(row.status)},` +
      `"created_at":"${formatTimestamp(row.created_at)}",` +
      `"done_at":${row.done_at === null ? 'null' : `"${formatTimestamp(row.done_at)}"`},` +
      `"expired_after":"${formatTimestamp(row.expired_after)}",` +
      `"event":${jsonString(row.event_id)},"org":${jsonString(row.org_id)},"vendor":${jsonStringOrNull(row.vendor_id)},` +
      `"origin":${jsonString(row.origin)},"promocodes":${row.promocodes},` +
      `"settings":{"invitation":${row.invitation === 1},"send_tickets":${row.send_tickets === 1},` +
      `"subscribe_agree":${row.subscribe_agree === 1}${customer}},` +
      `"tickets":`;
    const tail =
      `,"values":{"price":"${formatMoney(row.price)}","discount":"${formatMoney(row.discount)}","nominal":"${formatMoney(row.nominal)}",` +
      `"extra":"${formatMoney(row.extra)}","full":"${formatMoney(row.full_value)}",` +
      `"sets_values":${row.sets_values},"viral_promocodes":${row.viral_promocodes}},` +
      `"vendor_data":${row.vendor_data}}`;
    return [head, tail];
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
