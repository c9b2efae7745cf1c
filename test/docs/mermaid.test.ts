import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { extractMermaidBlocks, mermaidParser, repoRoot } from './markdown.ts';

describe('extractMermaidBlocks', () => {
  test('finds backtick and tilde mermaid fences with their line numbers, skipping other fences', () => {
    const markdown = [
      '# t', // 1
      '```sh', // 2
      'echo', // 3
      '```', // 4
      '```mermaid', // 5
      'flowchart LR', // 6
      '  a --> b', // 7
      '```', // 8
      '````markdown', // 9
      '```mermaid', // 10: an example inside another fence, not a diagram
      'pie', // 11
      '```', // 12
      '````', // 13
      '~~~mermaid', // 14
      'sequenceDiagram', // 15
      '~~~', // 16
    ].join('\n');
    assert.deepEqual(extractMermaidBlocks(markdown), [
      { line: 5, text: 'flowchart LR\n  a --> b' },
      { line: 14, text: 'sequenceDiagram' },
    ]);
  });

  test('rejects an unclosed mermaid fence instead of silently skipping it', () => {
    assert.throws(() => extractMermaidBlocks('```mermaid\nflowchart LR\n  a --> b\n'), /line 1/);
  });
});

describe('mermaid parser', () => {
  test('accepts a valid diagram and names its type', async () => {
    const parse = await mermaidParser();
    assert.equal(await parse('flowchart LR\n  a["client"] --> b["server"]'), 'flowchart-v2');
    assert.equal(await parse('sequenceDiagram\n  A->>B: hello'), 'sequence');
  });

  const broken = extractMermaidBlocks(
    readFileSync(join(repoRoot, 'test/docs/fixtures/broken-diagrams.md'), 'utf8'),
  );

  test('the broken fixture holds the five broken diagrams', () => {
    assert.equal(broken.length, 5);
  });

  for (const block of broken) {
    test(`rejects the broken diagram at fixtures/broken-diagrams.md:${block.line}`, async () => {
      const parse = await mermaidParser();
      await assert.rejects(parse(block.text));
    });
  }
});
