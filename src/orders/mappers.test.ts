import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiObjects, expectedEvent, expectedOrder, inSchemaOrder } from '../../test/support/api-objects.js';
import { tupleOf } from '../db/columns.js';
import type { EventRow, OrderRow, TicketRow } from '../db/types.js';
import { written } from '../../test/support/json-bytes.js';
import { EventMapper, ORDER_TUPLE, OrderMapper, PartnerMapper, TICKET_TUPLE, type OrderTuple, type TicketTuple } from './mappers.js';
import { Partner, type Order } from './schemas.js';

// write() writes JSON bytes by hand; these properties pin it to what
// JSON.stringify gives for the same API object with its keys in the schema's
// order — escaping, nulls, absent keys and the stored JSON columns included.

/** An order's and its tickets' rows as PostgreSQL's list reads them: arrays of the mappers' columns. */
function tuples(rows: ReturnType<typeof OrderMapper.toRows>): { order: OrderTuple; tickets: TicketTuple[] } {
  return { order: tupleOf(rows.order as OrderRow, ORDER_TUPLE), tickets: rows.tickets.map((t) => tupleOf(t as TicketRow, TICKET_TUPLE)) };
}

// any code point, lone surrogate halves included: JSON.stringify escapes those
const { order, event, partner } = apiObjects(fc.string({ unit: 'binary', maxLength: 12 }));

describe('mappers: rows written as JSON text', () => {
  it('an order (with its tickets) is the JSON of its API object, imported → listed', () => {
    fc.assert(
      fc.property(order, (o) => {
        const rows = tuples(OrderMapper.toRows(o));
        expect(written((w) => OrderMapper.write(w, rows.order, rows.tickets))).toBe(JSON.stringify(expectedOrder(o)));
      }),
      { numRuns: 500 },
    );
  });

  it('an event is the JSON of its API object', () => {
    fc.assert(
      fc.property(event, (e) => {
        expect(written((w) => EventMapper.write(w, EventMapper.toRow(e) as EventRow))).toBe(JSON.stringify(expectedEvent(e)));
      }),
      { numRuns: 300 },
    );
  });

  it('a partner is the JSON of its API object', () => {
    fc.assert(
      fc.property(partner, (p) => {
        expect(written((w) => PartnerMapper.write(w, PartnerMapper.toRow(p)))).toBe(JSON.stringify(inSchemaOrder(p, Partner)));
      }),
    );
  });

  it('escapes what JSON must escape in text from rows', () => {
    const o = fc.sample(order, { numRuns: 1, seed: 1 })[0]!;
    const tricky = 'a"b\\c\n\u0000\u001f\u2028\ud800 «ё»';
    const withText = { ...o, settings: { ...o.settings, customer: { name: tricky, email: null, phone: null, lang: null } } };
    const rows = tuples(OrderMapper.toRows(withText));
    const json = written((w) => OrderMapper.write(w, rows.order, []));
    expect((JSON.parse(json) as Order).settings.customer?.name).toBe(tricky);
    expect(json).toContain(String.raw`"a\"b\\c\n\u0000\u001f` + '\u2028' + String.raw`\ud800 «ё»"`);
  });
});
