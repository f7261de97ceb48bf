/**
 * Money is a JSON string with exactly two decimals ("150.00"), stored as
 * integer minor units (kopecks). SPEC §1.
 */
export const MONEY_PATTERN = /^-?\d{1,13}\.\d{2}$/;

export function parseMoney(value: unknown): number | undefined {
  if (typeof value !== 'string' || !MONEY_PATTERN.test(value)) return undefined;
  const negative = value.startsWith('-');
  const [whole, cents] = (negative ? value.slice(1) : value).split('.') as [string, string];
  const minor = Number(whole) * 100 + Number(cents);
  return negative && minor !== 0 ? -minor : minor;
}

export function formatMoney(minor: number): string {
  const negative = minor < 0;
  const abs = Math.abs(minor);
  const whole = Math.floor(abs / 100);
  const cents = abs % 100;
  return `${negative ? '-' : ''}${whole}.${cents < 10 ? '0' : ''}${cents}`;
}
