import { type AliasedRawBuilder, sql } from 'kysely';

/**
 * Literal rows to join a table against: `(values (…), …) as alias`, whose columns SQLite and
 * PostgreSQL both name column1, column2, …. Looking rows up by joining to their keys, rather than
 * with `(a, b) in ((…), …)`, lets PostgreSQL use one index lookup per key even on a table it has not
 * analyzed yet (a new deployment's first minute, a table that grew fast): planning the list, it took
 * the key prefix all the tuples share and read every row under it. Joined, it may still hash a
 * small table whole for many keys, which costs what reading that small table costs.
 */
export function valuesTable<Row extends Record<string, string>, Alias extends string>(
  alias: Alias,
  rows: ReadonlyArray<ReadonlyArray<string>>,
): AliasedRawBuilder<Row, Alias> {
  // `(values )` is no statement: a caller with nothing to look up has no query to run.
  if (rows.length === 0) throw new Error('valuesTable needs at least one row');
  return sql<Row>`(values ${sql.join(rows.map((row) => sql`(${sql.join(row)})`))})`.as(alias);
}
