import { describe, expect, it } from 'vitest';
import { OrderMapper } from './mappers.js';
import type { Order } from './schemas.js';

const order: Order = {
  id: '5f0000000000000000000002',
  number: 2440001,
  code: 'c0000001',
  status: 'done',
  created_at: '2020-07-28 12:00:00',
  done_at: '2020-07-28 12:01:30',
  expired_after: '2020-07-28 12:15:00',
  event: '5f0000000000000000000001',
  org: '5f0000000000000000000003',
  vendor: '5f0000000000000000000004',
  origin: 'api',
  promocodes: ['5f0000000000000000000005'],
  settings: {
    invitation: false,
    send_tickets: true,
    subscribe_agree: true,
    customer: { name: 'Иван "Ваня"', email: 'ivan@example.com', phone: null, lang: 'ru' },
  },
  tickets: [
    {
      id: '5f0000000000000000000006',
      number: 1,
      serial: 'AAA',
      barcode: null,
      set: '5f0000000000000000000007',
      status: 'sold',
      price: '1500.00',
      discount: '0.50',
      nominal: '1499.50',
      extra: '0.00',
      full: '1499.50',
      seat: { row: 3, number: '12a', sector: null },
    },
  ],
  values: {
    price: '1500.00',
    discount: '0.50',
    nominal: '1499.50',
    extra: '0.00',
    full: '1499.50',
    sets_values: { '5f0000000000000000000007': { id: '5f0000000000000000000007', price: '1500.00', nominal: '1499.50', discount: '0.50', promocode: null } },
    viral_promocodes: [],
  },
  vendor_data: { ref: 'x' },
};

describe('OrderMapper.toRows: the stored document', () => {
  it('is the order as the list returns it, in a fixed form', () => {
    const { order: row } = OrderMapper.toRows(order);
    // If this fails because the order's API shape changed on purpose, the
    // documents already stored are stale: add a migration that calls
    // writeOrderDocuments (src/db/migrations.ts), then update this string.
    expect(row.document).toBe(
      '{"id":"5f0000000000000000000002","number":2440001,"code":"c0000001","status":"done","created_at":"2020-07-28 12:00:00","done_at":"2020-07-28 12:01:30","expired_after":"2020-07-28 12:15:00","event":"5f0000000000000000000001","org":"5f0000000000000000000003","vendor":"5f0000000000000000000004","origin":"api","promocodes":["5f0000000000000000000005"],"settings":{"invitation":false,"send_tickets":true,"subscribe_agree":true,"customer":{"name":"Иван \\"Ваня\\"","email":"ivan@example.com","phone":null,"lang":"ru"}},"tickets":[{"id":"5f0000000000000000000006","number":1,"serial":"AAA","barcode":null,"set":"5f0000000000000000000007","status":"sold","price":"1500.00","discount":"0.50","nominal":"1499.50","extra":"0.00","full":"1499.50","seat":{"row":3,"number":"12a","sector":null}}],"values":{"price":"1500.00","discount":"0.50","nominal":"1499.50","extra":"0.00","full":"1499.50","sets_values":{"5f0000000000000000000007":{"id":"5f0000000000000000000007","price":"1500.00","nominal":"1499.50","discount":"0.50","promocode":null}},"viral_promocodes":[]},"vendor_data":{"ref":"x"}}',
    );
    expect(JSON.parse(row.document)).toEqual(order);
  });
});
