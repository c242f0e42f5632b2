/**
 * Rows per statement: keeps every multi-row statement well under SQLite's and PostgreSQL's
 * bound-parameter limits (32,766 and 65,535) at the widest row written (10 columns).
 */
export const ROWS_PER_STATEMENT = 500;

/** `rows` in runs of at most `ROWS_PER_STATEMENT`; a batch that fits is passed through, uncopied. */
export function chunks<T>(rows: readonly T[]): (readonly T[])[] {
  if (rows.length <= ROWS_PER_STATEMENT) return rows.length === 0 ? [] : [rows];
  const out: (readonly T[])[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) out.push(rows.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}
