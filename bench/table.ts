// The printed table: one line per row (subject, baseline, ratio, target), under each section's
// title, baseline and notes.
import type { BenchResults, Row, Section } from './result.js';

/** 1234567 -> "1.23 M": enough digits to read, no more. */
function fmt(x: number): string {
  const a = Math.abs(x);
  if (!Number.isFinite(x)) return String(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)} M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)} k`;
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

function targetText(r: Row): string {
  if (!r.target) return '';
  const t = `${r.target.kind === 'min' ? '>=' : '<='} ${r.target.ratio === 1 / 3 ? '1/3' : fmt(r.target.ratio)}`;
  return `${t} ${r.met ? 'met' : 'MISSED'}`;
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
    .join('  ')
    .trimEnd();
}

export function renderTable(results: BenchResults): string {
  const head = ['', 'subject', 'baseline', 'unit', 'ratio', 'target'];
  const lines: string[][] = [];
  const out: string[] = [];
  const body = (s: Section) => s.rows.map((r) => [`  ${r.what}`, fmt(r.subject), fmt(r.baseline), r.unit, fmt(r.ratio), targetText(r)]);
  for (const s of results.sections) lines.push(...body(s));
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length), ...results.sections.map((s) => (i === 0 ? s.title.length + 4 : 0))));
  out.push(pad(head, widths));
  for (const s of results.sections) {
    out.push(`${s.id}: ${s.title}`);
    for (const l of body(s)) out.push(pad(l, widths));
    out.push(`    vs ${s.baseline}`);
    for (const n of s.notes) out.push(`    ${n}`);
  }
  out.push(`${results.quick ? 'quick run' : 'full run'} on ${results.machine.cpus} core(s), node ${results.machine.node}: ${results.durationSec.toFixed(0)} s`);
  return out.join('\n');
}
