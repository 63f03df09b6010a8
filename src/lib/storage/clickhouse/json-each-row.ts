/** Parses a JSONEachRow payload (one JSON object per line). */
export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  for (const line of text.split('\n')) {
    if (line.length > 0) rows.push(JSON.parse(line) as T);
  }
  return rows;
}

/** JSON.stringify that writes bigint values as exact decimal digits (ClickHouse parses them into UInt64). */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
}

/** Serializes rows as JSONEachRow. */
export function toJsonEachRow(rows: readonly object[]): Buffer {
  const lines = rows.map((row) => stringifyJson(row));
  return Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '', 'utf8');
}
