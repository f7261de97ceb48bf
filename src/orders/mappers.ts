/**
 * Rows <-> API objects: the one place per object where the storage shape
 * (seconds, minor units, 0/1, JSON text) meets the API shape (SPEC §5).
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
import { formatMoney, parseMoney } from '../shared/money.js';
import { formatTimestamp, parseTimestamp } from '../shared/time.js';
import type { Customer, Event, Order, OrderStatus, Partner, Ticket } from './schemas.js';

/** Inputs reaching toRow() were validated against the schemas, so these cannot fail. */
function money(value: string): number {
  return parseMoney(value)!;
}
function seconds(value: string): number {
  return parseTimestamp(value)!;
}

export const PartnerMapper = {
  toApi(row: PartnerRow): Partner {
    return { id: row.id, name: row.name };
  },
  toRow(partner: Partner): PartnerTable {
    return { id: partner.id, name: partner.name };
  },
};

export const EventMapper = {
  toApi(row: EventRow): Event {
    return {
      id: row.id,
      org: row.org_id,
      title: { text: row.title_text, desc: row.title_desc },
      lifetime: { start: formatTimestamp(row.start_at), finish: formatTimestamp(row.finish_at) },
      status: row.status as Event['status'],
      timezone: row.timezone,
    };
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

export const TicketMapper = {
  toApi(row: TicketRow): Ticket {
    const ticket: Ticket = {
      id: row.id,
      number: row.number,
      serial: row.serial,
      barcode: row.barcode,
      set: row.set_id,
      status: row.status as Ticket['status'],
      price: formatMoney(row.price),
      discount: formatMoney(row.discount),
      nominal: formatMoney(row.nominal),
      extra: formatMoney(row.extra),
      full: formatMoney(row.full_value),
    };
    if (row.seat !== null) ticket.seat = JSON.parse(row.seat) as NonNullable<Ticket['seat']>;
    return ticket;
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
  toApi(row: OrderRow, tickets: Ticket[]): Order {
    const settings: Order['settings'] = {
      invitation: row.invitation === 1,
      send_tickets: row.send_tickets === 1,
      subscribe_agree: row.subscribe_agree === 1,
    };
    if (row.has_customer === 1) {
      settings.customer = {
        name: row.customer_name,
        email: row.customer_email,
        phone: row.customer_phone,
        lang: row.customer_lang as Customer['lang'],
      };
    }
    return {
      id: row.id,
      number: row.number,
      code: row.code,
      status: row.status as OrderStatus,
      created_at: formatTimestamp(row.created_at),
      done_at: row.done_at === null ? null : formatTimestamp(row.done_at),
      expired_after: formatTimestamp(row.expired_after),
      event: row.event_id,
      org: row.org_id,
      vendor: row.vendor_id,
      origin: row.origin as Order['origin'],
      promocodes: JSON.parse(row.promocodes) as string[],
      settings,
      tickets,
      values: {
        price: formatMoney(row.price),
        discount: formatMoney(row.discount),
        nominal: formatMoney(row.nominal),
        extra: formatMoney(row.extra),
        full: formatMoney(row.full_value),
        sets_values: JSON.parse(row.sets_values) as Order['values']['sets_values'],
        viral_promocodes: JSON.parse(row.viral_promocodes) as unknown[],
      },
      vendor_data: JSON.parse(row.vendor_data) as Record<string, unknown>,
    };
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
