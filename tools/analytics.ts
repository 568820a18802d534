/**
 * `npm run analytics`: the named queries (shared/analytics/queries.ts), run with DuckDB over the latest
 * local export (`npm run export`), printed as a table or as CSV — the same SQL the AWS deployment saves as
 * Athena named queries.
 */
import { fileURLToPath } from 'node:url';
import { namedQueries, namedQuery } from '../shared/analytics/queries';
import { ExportDatabase, formatCsv, formatTable } from './analytics/duckdb';
import { dataFilesOf, listExports } from './analytics/local-export';
import { CommandError, commandLine, main, UsageError } from './cli';

const USAGE = `usage: npm run analytics -- --list
       npm run analytics -- <query> [--csv] [--export ID] [--dir DIR]
       npm run analytics -- --sql "SELECT … FROM sessions" [--csv]

  --list     the named queries and what each counts
  <query>    run one over the latest export (views: sessions, legs, events)
  --csv      CSV instead of a table
  --export   an export id (default: the latest under the exports folder)
  --dir      the exports folder (default .local/exports)`;

const root = fileURLToPath(new URL('..', import.meta.url));

main('analytics', USAGE, async () => {
  const { values, positionals } = commandLine({
    options: {
      list: { type: 'boolean' },
      csv: { type: 'boolean' },
      sql: { type: 'string' },
      export: { type: 'string' },
      dir: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (values.list) {
    const width = Math.max(...namedQueries.map((query) => query.name.length));
    for (const query of namedQueries) console.log(`${query.name.padEnd(width)}  ${query.description}`);
    return 0;
  }
  const [name, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`one query at a time, not ${positionals.join(' ')}`);
  const query = values.sql ?? (name === undefined ? undefined : namedQuery(name)?.sql);
  if (query === undefined) {
    throw new UsageError(
      name === undefined ? 'name a query, or --list' : `no query named ${name}; --list names them`,
    );
  }
  const dir = values.dir ?? `${root}.local/exports`;
  const exports = await listExports(dir);
  const chosen = values.export ? exports.find((e) => e.exportId === values.export) : exports.at(-1);
  if (!chosen) {
    throw new CommandError(
      values.export
        ? `no export ${values.export} in ${dir}`
        : `no export in ${dir}: run \`npm run export\` first`,
    );
  }
  const database = await ExportDatabase.open(dataFilesOf(chosen, dir));
  try {
    const result = await database.query(query);
    if (values.csv) {
      console.log(formatCsv(result));
    } else {
      const numbers = chosen.summary.curated?.phoneNumbers ?? 'raw export';
      console.log(
        `export ${chosen.exportId} of ${chosen.summary.exportTime} (${chosen.summary.itemCount} items, phone numbers ${numbers})\n`,
      );
      console.log(formatTable(result));
    }
    return 0;
  } finally {
    database.close();
  }
});
