/**
 * The API's objects (SPEC §5) as JSON schemas. One definition serves three
 * purposes: response serialisation, the OpenAPI document, and validation of
 * import lines (which is why objects are closed with additionalProperties:false).
 */
import { Type, type Static, type TSchema, type SchemaOptions } from '@sinclair/typebox';

const closed = { additionalProperties: false } as const;

/** `type: [X, 'null']` instead of anyOf: cheaper for fast-json-stringify and plainer in OpenAPI. */
function Nullable<T extends TSchema>(schema: T, options: SchemaOptions = {}) {
  const { type, enum: values, ...rest } = schema as unknown as { type: string; enum?: unknown[] } & Record<string, unknown>;
  return Type.Unsafe<Static<T> | null>({
    ...rest,
    ...options,
    type: [type, 'null'],
    ...(values ? { enum: [...values, null] } : {}),
  });
}

export const Id = Type.String({
  pattern: '^[0-9a-f]{24}$',
  description: '24-character lowercase hex id',
  errorMessage: 'must be a 24-character lowercase hex id',
});
export const Money = Type.String({
  pattern: '^-?[0-9]{1,13}\\.[0-9]{2}$',
  description: 'Money: a string with exactly two decimals',
  examples: ['150.00'],
  errorMessage: 'must be money as a string with exactly two decimals, like "150.00"',
});
export const Timestamp = Type.String({
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$',
  description: 'UTC timestamp `YYYY-MM-DD HH:MM:SS`',
  examples: ['2019-07-25 14:56:16'],
  errorMessage: 'must be a UTC timestamp "YYYY-MM-DD HH:MM:SS"',
});

export const ORDER_STATUSES = ['executed', 'in_progress', 'done', 'cancelled', 'expired'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const TICKET_STATUSES = ['reserved', 'sold', 'pending', 'refunded', 'cancelled'] as const;
export const ORIGINS = [
  'api',
  'widget',
  'control_panel',
  'salespoint',
  'showroom',
  'external_widget',
  'customer_panel',
] as const;
export const EVENT_STATUSES = ['public', 'stand_by', 'canceled', 'finished'] as const;
export const LANGS = ['ru', 'en'] as const;

function Enum<T extends readonly string[]>(values: T, what: string) {
  return Type.Unsafe<T[number]>({
    type: 'string',
    enum: [...values],
    errorMessage: `must be one of ${values.join(', ')}`,
    description: what,
  });
}

export const Partner = Type.Object(
  { id: Id, name: Type.String({ minLength: 1, maxLength: 500 }) },
  { ...closed, title: 'Partner' },
);
export type Partner = Static<typeof Partner>;

export const Event = Type.Object(
  {
    id: Id,
    org: Id,
    title: Type.Object({ text: Type.String({ maxLength: 1000 }), desc: Nullable(Type.String({ maxLength: 100_000 })) }, closed),
    lifetime: Type.Object({ start: Timestamp, finish: Timestamp }, closed),
    status: Enum(EVENT_STATUSES, 'Event status'),
    timezone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone name' }),
  },
  { ...closed, title: 'Event' },
);
export type Event = Static<typeof Event>;

const SeatPart = Type.Unsafe<string | number | null>({ type: ['string', 'number', 'null'] });
export const Seat = Type.Object({ row: SeatPart, number: SeatPart, sector: SeatPart }, closed);

export const Ticket = Type.Object(
  {
    id: Id,
    number: Type.Integer({ minimum: 0 }),
    serial: Type.String({ maxLength: 100 }),
    barcode: Nullable(Type.String({ maxLength: 200 })),
    set: Id,
    status: Enum(TICKET_STATUSES, 'Ticket status'),
    price: Money,
    discount: Money,
    nominal: Money,
    extra: Money,
    full: Money,
    seat: Type.Optional(Seat),
  },
  { ...closed, title: 'Ticket' },
);
export type Ticket = Static<typeof Ticket>;

export const Customer = Type.Object(
  {
    name: Nullable(Type.String({ maxLength: 1000 })),
    email: Nullable(Type.String({ maxLength: 1000 })),
    phone: Nullable(Type.String({ maxLength: 100 })),
    lang: Nullable(Enum(LANGS, 'Customer language')),
  },
  closed,
);
export type Customer = Static<typeof Customer>;

export const SetValue = Type.Object(
  { id: Id, price: Money, nominal: Money, discount: Money, promocode: Nullable(Id) },
  closed,
);

export const Order = Type.Object(
  {
    id: Id,
    number: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    code: Nullable(Type.String({ pattern: '^[a-z0-9]{8}$', errorMessage: 'must be 8 characters [a-z0-9] or null' })),
    status: Enum(ORDER_STATUSES, 'Order status'),
    created_at: Timestamp,
    done_at: Nullable(Timestamp),
    expired_after: Timestamp,
    event: Id,
    org: Id,
    vendor: Nullable(Id),
    origin: Enum(ORIGINS, 'Where the order was made'),
    promocodes: Type.Array(Id),
    settings: Type.Object(
      {
        invitation: Type.Boolean(),
        send_tickets: Type.Boolean(),
        subscribe_agree: Type.Boolean(),
        customer: Type.Optional(Customer),
      },
      closed,
    ),
    tickets: Type.Array(Ticket),
    values: Type.Object(
      {
        price: Money,
        discount: Money,
        nominal: Money,
        extra: Money,
        full: Money,
        sets_values: Type.Record(Type.String({ pattern: '^[0-9a-f]{24}$' }), SetValue),
        viral_promocodes: Type.Array(Type.Unknown()),
      },
      closed,
    ),
    vendor_data: Type.Object({}, { additionalProperties: true }),
  },
  { ...closed, title: 'Order' },
);
export type Order = Static<typeof Order>;

export const OrdersPage = Type.Object(
  {
    data: Type.Array(Order),
    pagination: Type.Object({ page: Type.Integer(), page_size: Type.Integer(), total: Type.Integer() }),
    refs: Type.Object({
      events: Type.Record(Type.String(), Event),
      partners: Type.Record(Type.String(), Partner),
    }),
  },
  { title: 'OrdersPage' },
);
export type OrdersPage = Static<typeof OrdersPage>;

export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'Stable machine code' }),
    reason: Type.String({ description: 'One human sentence' }),
    errors: Type.Array(Type.String(), { description: 'Every problem found' }),
  },
  { title: 'Error' },
);
