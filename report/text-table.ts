// Plain-text tables for the human reports: columns padded to their widest cell, numbers right
// aligned, no colours (the output is often piped into CI logs).

export type Cell = string | number;

/**
 * Lay out `rows` under `headers`. Columns whose cells are all numbers are right aligned, and so
 * are the columns named in `right` (e.g. rates written as "1.2M").
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[], right: readonly number[] = []): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const alignRight = headers.map((_, c) => right.includes(c) || (rows.length > 0 && rows.every((r) => typeof r[c] === 'number')));
  const text = (cell: Cell, c: number) => {
    const s = String(cell ?? '');
    return alignRight[c] ? s.padStart(widths[c]!) : s.padEnd(widths[c]!);
  };
  const line = (cells: readonly Cell[]) => `  ${cells.map(text).join('  ').trimEnd()}`;
  return [line(headers), ...rows.map(line)].join('\n');
}

/** A count for humans: 1234567 -> "1.23M". */
export function humanCount(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
