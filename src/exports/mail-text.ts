/**
 * The words of the export e-mail (SPEC §4) in Russian and English: the
 * subject, and the body as a small document model that is rendered both as
 * plain text and as HTML, so the two parts always say the same thing.
 */
import type { FilterEcho } from '../orders/filters.js';
import { TimeZoneConverter } from './files/timezone.js';
import type { ExportFormat, ExportLang, ExportMailInput } from './types.js';

/** Russian groups thousands with a no-break space, so `1 234` never wraps between the groups. */
const NBSP = '\u00a0';

/** Event ids listed in full up to this many; beyond it the rest is counted. */
export const MAX_LISTED_EVENTS = 50;

// ---------------------------------------------------------------------------
// Numbers, plurals, dates, sizes

/** `1 234` (ru, no-break space) or `1,234` (en); independent of the ICU data Node was built with. */
export function formatCount(n: number, lang: ExportLang): string {
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.trunc(Math.abs(n)));
  const groups: string[] = [];
  for (let end = digits.length; end > 0; end -= 3) groups.unshift(digits.slice(Math.max(0, end - 3), end));
  return sign + groups.join(lang === 'ru' ? NBSP : ',');
}

/** Russian plural: 1 заказ, 2 заказа, 5 заказов, 11 заказов, 21 заказ, 22 заказа. */
export function ruPlural(n: number, one: string, few: string, many: string): string {
  const abs = Math.abs(Math.trunc(n));
  const mod10 = abs % 10;
  const mod100 = abs % 100;
  if (mod10 === 1 && mod100 !== 11) return one;
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return few;
  return many;
}

type Noun = 'order' | 'ticket';

const RU_NOUNS: Record<Noun, [string, string, string]> = {
  order: ['заказ', 'заказа', 'заказов'],
  ticket: ['билет', 'билета', 'билетов'],
};

/** `1 234 заказа`, `1 order`, `2,345 tickets`. */
export function countPhrase(n: number, noun: Noun, lang: ExportLang): string {
  if (lang === 'ru') {
    const [one, few, many] = RU_NOUNS[noun];
    return `${formatCount(n, lang)} ${ruPlural(n, one, few, many)}`;
  }
  return `${formatCount(n, lang)} ${noun}${n === 1 ? '' : 's'}`;
}

/** `UTC+03:00`, `UTC-04:00`, `UTC+05:30`; `UTC` for a zero offset. */
function offsetName(seconds: number): string {
  if (seconds === 0) return 'UTC';
  const abs = Math.abs(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `UTC${seconds < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600))}:${pad(Math.floor((abs % 3600) / 60))}`;
}

/**
 * A moment in the export's zone, naming the zone:
 * ru `28.07.2020 13:00:00 (Europe/Moscow, UTC+03:00)`,
 * en `2020-07-28 13:00:00 (Europe/Moscow, UTC+03:00)`.
 * An unknown zone (the caller validates it; this is only a safety net) falls back to UTC.
 */
export function formatZoned(date: Date, tz: string, lang: ExportLang): string {
  let converter: TimeZoneConverter;
  try {
    converter = new TimeZoneConverter(tz);
  } catch {
    converter = new TimeZoneConverter('UTC');
  }
  const seconds = Math.floor(date.getTime() / 1000);
  const [day, time] = converter.format(seconds).split(' ') as [string, string];
  const [y, m, d] = day.split('-') as [string, string, string];
  const offset = offsetName(converter.offset(seconds));
  const zone = converter.tz;
  const zoneName = zone === offset || (zone.toUpperCase() === 'UTC' && offset === 'UTC') ? zone : `${zone}, ${offset}`;
  return `${lang === 'ru' ? `${d}.${m}.${y}` : day} ${time} (${zoneName})`;
}

/** `12 KB`, `1.5 MB` (en) / `12 КБ`, `1,5 МБ` (ru). */
export function formatSize(bytes: number, lang: ExportLang): string {
  const units = lang === 'ru' ? ['Б', 'КБ', 'МБ', 'ГБ'] : ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const rounded = unit === 0 || value >= 10 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
  return `${lang === 'ru' ? rounded.replace('.', ',') : rounded}${NBSP}${units[unit] ?? ''}`;
}

// ---------------------------------------------------------------------------
// A tiny document model, rendered to text and to HTML

/** Plain words, a value as the caller wrote it (monospace in HTML), or a link. */
export type Inline = string | { code: string } | { link: string };

/** A paragraph, or a titled bullet list. */
export type Block = { p: Inline[] } | { title: Inline[]; list: Inline[][] };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function inlineText(parts: Inline[]): string {
  return parts.map((part) => (typeof part === 'string' ? part : 'code' in part ? part.code : part.link)).join('');
}

function inlineHtml(parts: Inline[]): string {
  return parts
    .map((part) => {
      if (typeof part === 'string') return escapeHtml(part);
      if ('code' in part) return `<code>${escapeHtml(part.code)}</code>`;
      // Only web links become anchors; anything else is shown, not linked.
      return /^https?:\/\//i.test(part.link)
        ? `<a href="${escapeHtml(part.link)}">${escapeHtml(part.link)}</a>`
        : escapeHtml(part.link);
    })
    .join('');
}

export function renderText(blocks: Block[]): string {
  return `${blocks
    .map((block) =>
      'p' in block ? inlineText(block.p) : [inlineText(block.title), ...block.list.map((item) => `  • ${inlineText(item)}`)].join('\n'),
    )
    .join('\n\n')}\n`;
}

export function renderHtml(blocks: Block[], lang: ExportLang, title: string): string {
  const body = blocks
    .map((block) =>
      'p' in block
        ? `<p>${inlineHtml(block.p)}</p>`
        : `<p>${inlineHtml(block.title)}</p>\n<ul>\n${block.list.map((item) => `  <li>${inlineHtml(item)}</li>`).join('\n')}\n</ul>`,
    )
    .join('\n');
  return [
    '<!DOCTYPE html>',
    `<html lang="${lang}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>' + escapeHtml(title) + '</title></head>',
    '<body style="font-family: Arial, Helvetica, sans-serif; font-size: 14px; line-height: 1.5; color: #222;">',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------
// The texts

/** What the texts need: the e-mail input without its envelope. */
export type MailTextInput = Omit<ExportMailInput, 'to' | 'from'>;

export function mailSubject(input: Pick<MailTextInput, 'lang' | 'orders' | 'tickets'>): string {
  const { lang, orders, tickets } = input;
  if (lang === 'ru') {
    return orders === 0
      ? 'Экспорт заказов: подходящих заказов нет'
      : `Экспорт заказов: ${countPhrase(orders, 'order', 'ru')}, ${countPhrase(tickets, 'ticket', 'ru')}`;
  }
  return orders === 0
    ? 'Orders export: no matching orders'
    : `Orders export: ${countPhrase(orders, 'order', 'en')}, ${countPhrase(tickets, 'ticket', 'en')}`;
}

/** `FROM,TO` as written → words; either side may be empty. */
function createdRange(echo: string, lang: ExportLang): Inline[] {
  const comma = echo.indexOf(',');
  const from = (comma < 0 ? echo : echo.slice(0, comma)).trim();
  const to = (comma < 0 ? '' : echo.slice(comma + 1)).trim();
  const out: Inline[] = [];
  if (lang === 'ru') {
    if (from !== '') out.push('с ', { code: from });
    if (to !== '') out.push(from !== '' ? ' ' : '', 'по ', { code: to }, ' включительно');
  } else {
    if (from !== '') out.push('from ', { code: from });
    if (to !== '') out.push(from !== '' ? ' ' : '', 'through ', { code: to });
  }
  out.push(' (', { code: `created_at=${echo}` }, ')');
  return out;
}

function filterItems(filters: FilterEcho, lang: ExportLang): Inline[][] {
  const ru = lang === 'ru';
  const items: Inline[][] = [];
  if (filters.created_at !== undefined && filters.created_at !== '') {
    items.push([ru ? 'Дата создания: ' : 'Created: ', ...createdRange(filters.created_at, lang)]);
  }
  if (filters.status && filters.status.length > 0) {
    const list: Inline[] = [];
    filters.status.forEach((s, i) => list.push(...(i > 0 ? [', '] : []), { code: s }));
    items.push([ru ? 'Статусы заказов: ' : 'Order statuses: ', ...list]);
  }
  if (filters.events && filters.events.length > 0) {
    const events = filters.events;
    const shown = events.slice(0, MAX_LISTED_EVENTS);
    const list: Inline[] = [];
    shown.forEach((id, i) => list.push(...(i > 0 ? [', '] : []), { code: id }));
    const rest = events.length - shown.length;
    if (rest > 0) list.push(ru ? ` и ещё ${formatCount(rest, 'ru')}` : ` and ${formatCount(rest, 'en')} more`);
    items.push([ru ? `Мероприятия (${formatCount(events.length, 'ru')}): ` : `Events (${formatCount(events.length, 'en')}): `, ...list]);
  }
  if (filters.only_with_customer) {
    items.push([ru ? 'Только заказы с данными покупателя' : 'Only orders with customer details']);
  }
  return items;
}

function formatLine(format: ExportFormat, tz: string, lang: ExportLang): Inline[] {
  if (lang === 'ru') {
    return format === 'xlsx'
      ? ['Формат: XLSX, листы «Заказы» и «Билеты». Время в файле — в часовом поясе ', { code: tz }, '.']
      : ['Формат: CSV (UTF-8, разделитель — запятая), заказы и билеты в отдельных файлах. Время в файлах — в часовом поясе ', { code: tz }, '.'];
  }
  return format === 'xlsx'
    ? ['Format: XLSX, sheets “Orders” and “Tickets”. Times in the file are in the ', { code: tz }, ' time zone.']
    : ['Format: CSV (UTF-8, comma-separated), orders and tickets in separate files. Times in the files are in the ', { code: tz }, ' time zone.'];
}

/** The body of the e-mail as blocks (see renderText/renderHtml). */
export function mailBlocks(input: MailTextInput): Block[] {
  const { lang, orders, tickets } = input;
  const ru = lang === 'ru';
  const linked = input.attachments === null;
  const blocks: Block[] = [{ p: [ru ? 'Здравствуйте!' : 'Hello,'] }];

  if (orders === 0) {
    blocks.push({
      p: ru
        ? [
            'Выгрузка заказов готова, но по заданным фильтрам не найдено ни одного заказа. ',
            linked ? 'Файл содержит только заголовки столбцов.' : 'Во вложении — файлы только с заголовками столбцов.',
          ]
        : [
            'Your orders export is ready, but no orders matched the filters. ',
            linked ? 'The file contains only the column headers.' : 'The attached files contain only the column headers.',
          ],
    });
  } else {
    blocks.push({
      p: ru
        ? [`Выгрузка заказов готова: ${countPhrase(orders, 'order', 'ru')}, ${countPhrase(tickets, 'ticket', 'ru')}.`]
        : [`Your orders export is ready: ${countPhrase(orders, 'order', 'en')}, ${countPhrase(tickets, 'ticket', 'en')}.`],
    });
  }

  const filters = filterItems(input.filters, lang);
  if (filters.length === 0) {
    blocks.push({ p: [ru ? 'Фильтры: не заданы — в выгрузке все заказы.' : 'Filters: none — the export holds all orders.'] });
  } else {
    blocks.push({ title: [ru ? 'Фильтры:' : 'Filters:'], list: filters });
  }

  const generated = formatZoned(input.generatedAt, input.tz, lang);
  blocks.push({
    p: ru
      ? [`Файл сформирован: ${generated}; данные — на этот момент.`]
      : [`Generated: ${generated}; the data is as of that moment.`],
  });
  blocks.push({ p: formatLine(input.format, input.tz, lang) });

  if (input.attachments !== null) {
    if (input.attachments.length > 0) {
      blocks.push({
        title: [ru ? 'Во вложении:' : 'Attached:'],
        list: input.attachments.map((f): Inline[] => [{ code: f.filename }, ` (${formatSize(f.size, lang)})`]),
      });
    }
  } else if (input.downloadUrl !== null) {
    blocks.push({
      p: ru
        ? ['Файл слишком велик для вложения в письмо. Скачать: ', { link: input.downloadUrl }]
        : ['The file is too large to attach. Download it here: ', { link: input.downloadUrl }],
    });
    if (input.linkExpiresAt !== null) {
      const until = formatZoned(input.linkExpiresAt, input.tz, lang);
      blocks.push({ p: [ru ? `Ссылка действительна до ${until}.` : `The link is valid until ${until}.`] });
    }
  }

  blocks.push({
    p: ru
      ? ['Номер выгрузки: ', { code: input.exportId }, '. Письмо отправлено автоматически, отвечать на него не нужно.']
      : ['Export id: ', { code: input.exportId }, '. This message was sent automatically; please do not reply.'],
  });
  return blocks;
}
