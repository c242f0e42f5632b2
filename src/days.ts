/** UTC days as people write them (`YYYY-MM-DD`), for reports, the audit log and their forms. */

/** The `YYYY-MM-DD` of a moment (UTC). */
export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** UTC midnight of a `YYYY-MM-DD` day, or null when there is no such day (2024-02-30). */
export function parseDay(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const midnight = Date.parse(`${text}T00:00:00Z`);
  // Date.parse rolls 2024-02-30 over to March 1st: the day must read back as written.
  return Number.isNaN(midnight) || isoDay(midnight) !== text ? null : midnight;
}
