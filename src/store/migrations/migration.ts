/**
 * One schema step. Versions are applied in ascending order, each exactly once,
 * recorded in `schema_migrations`. A released migration is never edited: change
 * the schema by appending a new one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations not yet applied, in order; throws if the list itself is not strictly ascending. */
export function pendingMigrations(all: readonly Migration[], applied: ReadonlySet<number>): Migration[] {
  all.forEach((m, i) => {
    const prev = all[i - 1];
    if (prev !== undefined && prev.version >= m.version) throw new Error(`migrations out of order: ${prev.version} before ${m.version}`);
  });
  return all.filter((m) => !applied.has(m.version));
}
