import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface MermaidBlock {
  /** 1-based line of the opening fence. */
  line: number;
  text: string;
}

/** The ```mermaid (or ~~~mermaid) fenced blocks of a CommonMark document, skipping other fences. */
export function extractMermaidBlocks(markdown: string): MermaidBlock[] {
  const blocks: MermaidBlock[] = [];
  let open: { fence: string; line: number; mermaid: boolean; body: string[] } | undefined;
  markdown.split(/\r?\n/).forEach((line, index) => {
    if (!open) {
      const start = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
      if (start) open = { fence: start[1]!, line: index + 1, mermaid: start[2] === 'mermaid', body: [] };
      return;
    }
    const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
    if (close && close[1]![0] === open.fence[0] && close[1]!.length >= open.fence.length) {
      if (open.mermaid) blocks.push({ line: open.line, text: open.body.join('\n') });
      open = undefined;
      return;
    }
    open.body.push(line);
  });
  if (open?.mermaid) throw new Error(`unclosed mermaid fence opened on line ${open.line}`);
  return blocks;
}

let parser: Promise<(text: string) => Promise<string>> | undefined;

/**
 * Mermaid's own parser (the one GitHub and GitLab render with). It needs a DOM even to parse,
 * so jsdom provides `window` and `document`. Resolves to the diagram type; rejects on a syntax error.
 */
export function mermaidParser(): Promise<(text: string) => Promise<string>> {
  parser ??= (async () => {
    const { window } = new JSDOM('<!doctype html><html><body></body></html>');
    Object.assign(globalThis, { window, document: window.document });
    const { default: mermaid } = await import('mermaid');
    mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
    return async (text: string) => {
      const result = await mermaid.parse(text);
      if (!result) throw new Error('mermaid.parse rejected the diagram');
      return result.diagramType;
    };
  })();
  return parser;
}

/** Markdown files under version control, plus ANSWERS.md (present before its first commit). */
export function markdownFiles(): string[] {
  const tracked = execFileSync('git', ['ls-files', '--', '*.md'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\n')
    .filter((path) => path !== '' && !path.includes('node_modules/') && !path.includes('/fixtures/'));
  const files = new Set(tracked.filter((path) => existsSync(join(repoRoot, path))));
  files.add('ANSWERS.md');
  return [...files].sort();
}
