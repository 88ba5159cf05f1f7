// What the docs tests read from a Markdown file: its headings with their GitHub anchors, its
// links, and the first column of its tables. marked parses (so code blocks and inline code are
// not mistaken for headings or links); github-slugger makes the anchors GitHub makes.
import GithubSlugger from 'github-slugger';
import { marked, type Tokens } from 'marked';

export interface Heading {
  readonly depth: number;
  readonly text: string;
  readonly anchor: string;
}

export interface MarkdownDoc {
  readonly headings: readonly Heading[];
  /** Every link target as written (`other.md#anchor`, `#anchor`, `https://...`). */
  readonly links: readonly string[];
  /** The first cell of every body row, by the text of its table's first header cell. */
  readonly firstColumns: ReadonlyMap<string, readonly string[]>;
}

/** Cell and heading text as read: inline code marks dropped. */
const plain = (s: string) => s.replace(/`/g, '').trim();

export function parseMarkdown(text: string): MarkdownDoc {
  const slugger = new GithubSlugger();
  const headings: Heading[] = [];
  const links: string[] = [];
  const firstColumns = new Map<string, string[]>();
  marked.walkTokens(marked.lexer(text), (t) => {
    if (t.type === 'heading') {
      const h = t as Tokens.Heading;
      headings.push({ depth: h.depth, text: plain(h.text), anchor: slugger.slug(h.text) });
    } else if (t.type === 'link') {
      links.push((t as Tokens.Link).href);
    } else if (t.type === 'table') {
      const table = t as Tokens.Table;
      const key = plain(table.header[0]?.text ?? '');
      const column = firstColumns.get(key) ?? [];
      column.push(...table.rows.map((row) => plain(row[0]?.text ?? '')));
      firstColumns.set(key, column);
    }
  });
  return { headings, links, firstColumns };
}

/** The headings of depth `depth` under the heading `parent` (up to the next heading of its depth or above). */
export function headingsUnder(doc: MarkdownDoc, parent: string, depth: number): string[] {
  const start = doc.headings.findIndex((h) => h.text === parent);
  if (start < 0) return [];
  const out: string[] = [];
  for (const h of doc.headings.slice(start + 1)) {
    if (h.depth <= doc.headings[start]!.depth) break;
    if (h.depth === depth) out.push(h.text);
  }
  return out;
}

export interface CodeBlock {
  /** The fence's language (`js`, `ts`, `sh`; empty when it names none). */
  readonly lang: string;
  readonly text: string;
}

/** The fenced code blocks of the section under the heading `parent` (up to the next heading of its depth or above). */
export function codeBlocksUnder(text: string, parent: string): CodeBlock[] {
  const out: CodeBlock[] = [];
  let depth: number | null = null; // the section's heading depth, once inside it
  for (const t of marked.lexer(text)) {
    if (t.type === 'heading') {
      const h = t as Tokens.Heading;
      if (depth !== null && h.depth <= depth) break;
      if (depth === null && plain(h.text) === parent) depth = h.depth;
    } else if (depth !== null && t.type === 'code') {
      const c = t as Tokens.Code;
      out.push({ lang: c.lang ?? '', text: c.text });
    }
  }
  return out;
}
