/** Raised when a table, database or format name would have to be spliced into SQL but is not a plain name. */
export class InvalidIdentifierError extends Error {
  override readonly name = 'InvalidIdentifierError';
  constructor(kind: string, value: string) {
    super(`Invalid ClickHouse ${kind} name ${JSON.stringify(value)}: use letters, digits and underscores only`);
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TABLE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const FORMAT = /^[A-Za-z][A-Za-z0-9]*$/;

export function assertDatabaseName(name: string): string {
  if (!NAME.test(name)) throw new InvalidIdentifierError('database', name);
  return name;
}

/** `events` or `analytics.events`; identifiers cannot be bound as parameters, so they are whitelisted. */
export function assertTableName(name: string): string {
  if (!TABLE.test(name)) throw new InvalidIdentifierError('table', name);
  return name;
}

export function assertColumnName(name: string): string {
  if (!NAME.test(name)) throw new InvalidIdentifierError('column', name);
  return name;
}

/** ` (a, b)` for an INSERT's column list, or '' for all columns. */
export function columnList(columns: readonly string[] | undefined): string {
  return columns && columns.length > 0 ? ` (${columns.map(assertColumnName).join(', ')})` : '';
}

/** Setting names are spliced into SQL (chDB) or a URL (HTTP): plain names only. */
export function assertSettingNames<T extends Readonly<Record<string, unknown>>>(settings: T): T {
  for (const name of Object.keys(settings)) if (!NAME.test(name)) throw new InvalidIdentifierError('setting', name);
  return settings;
}

/** ` SETTINGS a = 1, b = 'x'` for settings we set ourselves, or '' for none. */
export function settingsClause(settings: Readonly<Record<string, string | number>>): string {
  const entries = Object.entries(settings);
  if (entries.length === 0) return '';
  const rendered = entries.map(([name, value]) => {
    assertSettingNames({ [name]: value });
    if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`setting ${name} is not a finite number`);
    return `${name} = ${typeof value === 'number' ? String(value) : stringLiteral(value)}`;
  });
  return ` SETTINGS ${rendered.join(', ')}`;
}

export function assertFormatName(name: string): string {
  if (!FORMAT.test(name)) throw new InvalidIdentifierError('format', name);
  return name;
}

/** Removes a trailing `;` so a FORMAT or SETTINGS clause can follow the statement. */
export function stripTrailingSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

/** A single-quoted ClickHouse string literal, for values we generate ourselves (e.g. temp file paths). */
export function stringLiteral(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
