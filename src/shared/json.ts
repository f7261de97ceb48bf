/**
 * JSON text of the orders list (orders/mappers.ts: written from rows, or by
 * SQLite and put together here).
 * The type parameter names the API shape the text holds, so signatures keep
 * saying what they return although the value is a string.
 */
export type JsonText<T> = string & { readonly __jsonOf?: T };

/** A JSON string literal (escaped as JSON.stringify escapes). */
export function jsonString(value: string): string {
  return JSON.stringify(value);
}

export function jsonStringOrNull(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}

// Concatenated with + rather than Array.join: join flattens every item's
// rope of small pieces on the spot (a quarter of the list's writing time when
// measured); + leaves one rope, flattened once when it is encoded.
export function jsonArray<T>(items: readonly JsonText<T>[]): JsonText<T[]> {
  let out = '[';
  for (let i = 0; i < items.length; i++) out += i === 0 ? items[i] : `,${items[i]}`;
  return `${out}]`;
}

/** An object from [key, value] pairs, in their order; keys are unique (they come from primary keys). */
export function jsonRecord<T>(entries: readonly (readonly [string, JsonText<T>])[]): JsonText<Record<string, T>> {
  let out = '{';
  for (let i = 0; i < entries.length; i++) {
    const [key, value] = entries[i]!;
    out += `${i === 0 ? '' : ','}${jsonString(key)}:${value}`;
  }
  return `${out}}`;
}

/**
 * `text`, flattened now: a string built with `+` is a rope of small strings,
 * which V8 copies into one flat string the first time a character of it is
 * read — otherwise when it is encoded. Lets that copy happen at a moment of
 * the caller's choosing (while waiting for the database).
 */
export function flat<T extends string>(text: T): T {
  text.charCodeAt(0);
  return text;
}

/**
 * JSON text of a T in pieces, read in order (the list's page: one piece per
 * order). jsonBytes encodes them one by one into a buffer, which spares
 * flattening the whole text into one string first (docs/DECISIONS.md).
 */
export type JsonPieces<T> = readonly string[] & { readonly __jsonOf?: T };

/** The pieces' text as UTF-8 bytes. A piece must not end inside a surrogate pair (JSON text never does: pieces end between values). */
export function jsonBytes<T>(pieces: JsonPieces<T>): Buffer {
  let length = 0;
  for (const piece of pieces) length += piece.length;
  // at most 3 UTF-8 bytes per UTF-16 code unit (a surrogate pair: 4 for 2)
  const buffer = Buffer.allocUnsafe(3 * length);
  let offset = 0;
  for (const piece of pieces) offset += buffer.write(piece, offset);
  return buffer.subarray(0, offset);
}
