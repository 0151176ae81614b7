// Plain aligned tables for people; every command also has `-o json`, which is the stable contract.
export function formatTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]))).join('  ')).join('\n');
}

export function printTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): void {
  console.log(formatTable(headers, rows));
}
