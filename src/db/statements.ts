/**
 * Statements compiled once per shape of their input. Building a Kysely query
 * and compiling it to SQL costs ~70 µs for the list's statements (measured:
 * the page query alone ~30 µs, most of it its 29 named columns), on every
 * request, for a text that only changes with which filters are present. A
 * `StatementCache` builds and compiles a statement once per input shape, with
 * placeholders (slots) where the input's values go, and later fills the
 * values into the compiled parameters. Kysely itself lays out the parameters
 * when the template is compiled, so their order is Kysely's, never written by
 * hand.
 *
 * The input's shape is everything a builder may branch on: which keys are
 * present (an undefined value counts as absent), null, booleans, array
 * lengths, and whether a string or number is falsy ('' and 0 are kept as
 * they are, so `if (value)` takes the same branch in the template). Other
 * strings and numbers are values: a builder must use them only as
 * parameters (not compare them, not write them into SQL text). The unit
 * test compiles a builder with every construct the repositories use both
 * ways and compares; the list's property test runs the real statements
 * against an in-memory model.
 */
import type { Compilable, CompiledQuery } from 'kysely';

/** A placeholder for the value at `path` in a statement's input. */
class Slot {
  constructor(readonly path: readonly (string | number)[]) {}
}

/** The shape of `value`: equal for two inputs whenever a builder would write the same SQL text for them. */
export function shapeOf(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value === '' ? 'E' : '$';
    case 'number':
      if (Number.isNaN(value)) break;
      return value === 0 ? 'Z' : '$';
    case 'boolean':
      return value ? 'T' : 'F';
    case 'undefined':
      return 'U';
    case 'object': {
      if (value === null) return 'N';
      if (Array.isArray(value)) return `[${value.map(shapeOf).join(',')}]`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto === Object.prototype || proto === null) {
        const keys = Object.keys(value)
          .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
          .sort();
        return `{${keys.map((k) => `${k}:${shapeOf((value as Record<string, unknown>)[k])}`).join(',')}}`;
      }
    }
  }
  throw new TypeError(`a statement's input holds plain objects, arrays, strings, numbers (not NaN), booleans and null; not ${String(value)}`);
}

/** `value` with each string and number but '' and 0 replaced by a slot naming where it was. */
function slotted(value: unknown, path: (string | number)[] = []): unknown {
  if ((typeof value === 'string' || typeof value === 'number') && value) return new Slot(path);
  if (Array.isArray(value)) return value.map((v, i) => slotted(v, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, slotted(v, [...path, k])]));
  }
  return value;
}

function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
  let value = input;
  for (const key of path) value = (value as Record<string | number, unknown>)[key];
  return value;
}

/** A compiled parameter of a template with its slots filled from `input` (an array parameter may hold slots). */
function fill(parameter: unknown, input: unknown): unknown {
  if (parameter instanceof Slot) return valueAt(input, parameter.path);
  if (Array.isArray(parameter)) return parameter.map((p) => fill(p, input));
  return parameter;
}

const SLOT_TEXT = String(new Slot([]));

/** A compiled parameter that a slot became by arithmetic or concatenation. */
function misused(parameter: unknown): boolean {
  if (Array.isArray(parameter)) return parameter.some(misused);
  return Number.isNaN(parameter) || (typeof parameter === 'string' && parameter.includes(SLOT_TEXT));
}

export class StatementCache<I, O> {
  private readonly templates = new Map<string, CompiledQuery<O>>();

  /**
   * `build` makes the statement for an input (called once per shape, with
   * slots in place of the input's strings and numbers); at most `size` shapes
   * are kept, least recently used out.
   */
  constructor(
    private readonly build: (input: I) => Compilable<O>,
    private readonly size = 256,
  ) {}

  compile(input: I): CompiledQuery<O> {
    const shape = shapeOf(input);
    let template = this.templates.get(shape);
    if (template === undefined) {
      template = this.build(slotted(input) as I).compile();
      // A slot turned into text or NaN means the builder used a value other than as a parameter.
      if (template.sql.includes(SLOT_TEXT) || template.parameters.some(misused)) {
        throw new Error('a statement used an input value other than as a parameter (in its SQL text or in arithmetic)');
      }
    } else {
      this.templates.delete(shape);
    }
    this.templates.set(shape, template);
    if (this.templates.size > this.size) this.templates.delete(this.templates.keys().next().value as string);
    return { ...template, parameters: template.parameters.map((p) => fill(p, input)) };
  }
}
