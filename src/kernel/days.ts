/** UTC days and times as people write them (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`), for reports, the audit log and forms. */

export const DAY_MS = 86_400_000;

/** The `YYYY-MM-DD` of a moment (UTC). */
export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** UTC midnight of a `YYYY-MM-DD` day, or null when there is no such day (2024-02-30). */
export function parseDay(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const midnight = Date.parse(`${text}T00:00:00Z`);
  // Date.parse rolls 2024-02-30 over to March 1st: the day must read back as written.
  return Number.isNaN(midnight) || isoDay(midnight) !== text ? null : midnight;
}

/**
 * A UTC moment written `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (a datetime-local field), or
 * null when there is no such moment (February 31st, 13 o'clock, a 60th second).
 */
export function parseDateTime(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text)) return null;
  const full = text.length === 16 ? `${text}:00` : text;
  const ms = Date.parse(`${full}Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 19) === full ? ms : null;
}
