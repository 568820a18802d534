/**
 * The views and named queries over one export, in DuckDB on this machine: the same view definitions and
 * query text as Athena's (shared/analytics), DuckDB's dialect of the view layer, and nothing downloaded —
 * DuckDB's JSON reader is built into its npm package, and extension autoloading from the network is off.
 */
import { DuckDBInstance, type Json } from '@duckdb/node-api';
import { namedQuery } from '../../shared/analytics/queries';
import { dialects, duckdbItems, viewSelect, views } from '../../shared/analytics/views';

export interface QueryResult {
  readonly columns: readonly string[];
  /** Each value as JSON (DuckDB gives BIGINTs as strings, dates as `YYYY-MM-DD`). */
  readonly rows: readonly (readonly Json[])[];
  /** The same rows, by column name. */
  readonly objects: readonly Record<string, Json>[];
}

/** An in-memory DuckDB with `items`, `sessions`, `legs` and `events` over the given data files. */
export class ExportDatabase {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: Awaited<ReturnType<DuckDBInstance['connect']>>,
  ) {}

  static async open(dataFiles: readonly string[]): Promise<ExportDatabase> {
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const connection = await instance.connect();
    const database = new ExportDatabase(instance, connection);
    await connection.run(`CREATE VIEW items AS ${duckdbItems(dataFiles)}`);
    for (const view of views) {
      await connection.run(`CREATE VIEW ${view.name} AS ${viewSelect(view, dialects.duckdb)}`);
    }
    return database;
  }

  async query(sql: string): Promise<QueryResult> {
    const reader = await this.connection.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowsJson(), objects: reader.getRowObjectsJson() };
  }

  /** Runs a named query by name. */
  async named(name: string): Promise<QueryResult> {
    const query = namedQuery(name);
    if (!query) throw new Error(`no named query ${name}`);
    return this.query(query.sql);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** A result as an aligned text table, numbers to the right. */
export function formatTable(result: QueryResult): string {
  const cells = result.rows.map((row) => row.map(cellText));
  const widths = result.columns.map((name, i) =>
    Math.max(name.length, ...cells.map((row) => row[i]?.length ?? 0)),
  );
  const numeric = result.columns.map(
    (_, i) => cells.length > 0 && result.rows.every((row) => isNumeric(row[i])),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (numeric[i] ? value.padStart(widths[i] ?? 0) : value.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const count = `(${result.rows.length} ${result.rows.length === 1 ? 'row' : 'rows'})`;
  return [line(result.columns), rule, ...cells.map(line), count].join('\n');
}

/** A result as CSV (RFC 4180: fields with a comma, quote or line break are quoted). */
export function formatCsv(result: QueryResult): string {
  const field = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  return [result.columns, ...result.rows.map((row) => row.map(cellText))]
    .map((row) => row.map(field).join(','))
    .join('\n');
}

function cellText(value: Json | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function isNumeric(value: Json | undefined): boolean {
  return (
    value === null ||
    typeof value === 'number' ||
    (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))
  );
}
