import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { extractMermaidBlocks, markdownFiles, mermaidParser, repoRoot } from './markdown.ts';

const QUESTIONS = [
  'a) O que é uma sub-rede e por que é usada em uma VPC?',
  'b) Descreva o conceito de balanceamento de carga e porque ele é importante em uma arquitetura de nuvem.',
  'c) Como um servidor proxy funciona para intermediar as solicitações entre os clientes e os servidores de destino?',
  'd) O que é NAT e qual é o seu propósito em uma rede?',
  'e) Explique nas suas palavras, o que acontece quando você acessa um site no seu browser por baixo dos panos?',
];

const answers = readFileSync(join(repoRoot, 'ANSWERS.md'), 'utf8');

describe('ANSWERS.md', () => {
  test('answers the five questions of the challenge, verbatim and in order, one section each', () => {
    const headings = [...answers.matchAll(/^## ([a-e])\) /gm)].map((match) => match[1]);
    assert.deepEqual(headings, ['a', 'b', 'c', 'd', 'e']);
    // The questions are quoted under each heading, wrapped at 100 columns.
    const quoted = answers
      .split('\n')
      .filter((line) => line.startsWith('> '))
      .map((line) => line.slice(2))
      .join(' ');
    let from = 0;
    for (const question of QUESTIONS) {
      const at = quoted.indexOf(question.slice(3), from);
      assert.ok(at >= from, `question not quoted verbatim (or out of order): ${question}`);
      from = at;
    }
  });

  test('ties the answers to this project (issue 7)', () => {
    const ties = {
      'CA chain of the base image': /DigiCert Global Root G2/,
      'Service on 443 with TLS in the pod': /porta 443 → 8443/,
      "kube-proxy's DNAT for a ClusterIP": /KUBE-SVC-API[\s\S]*-j DNAT --to-destination 10\.244/,
      'docker bridge NAT': /-j MASQUERADE[\s\S]*-j DNAT --to-destination 172\./,
      'spot/ondemand node groups in private subnets': /nós `spot` e `ondemand` ficam em sub-redes privadas/,
    };
    for (const [tie, pattern] of Object.entries(ties)) assert.match(answers, pattern, `missing: ${tie}`);
  });

  test('explains with diagrams (at least one flowchart and one sequence diagram)', async () => {
    const parse = await mermaidParser();
    const types = await Promise.all(extractMermaidBlocks(answers).map((block) => parse(block.text)));
    assert.ok(types.length >= 5, `expected at least 5 mermaid diagrams, found ${types.length}`);
    assert.ok(types.includes('flowchart-v2'), `no flowchart among ${types.join(', ')}`);
    assert.ok(types.includes('sequence'), `no sequence diagram among ${types.join(', ')}`);
  });
});

describe('every mermaid block in the repository parses', async () => {
  const parse = await mermaidParser();
  for (const file of markdownFiles()) {
    const blocks = extractMermaidBlocks(readFileSync(join(repoRoot, file), 'utf8'));
    for (const block of blocks) {
      test(`${file}:${block.line}`, async () => {
        await parse(block.text).catch((error: Error) => {
          assert.fail(`${file}:${block.line}: mermaid rejects this diagram: ${error.message}`);
        });
      });
    }
  }
});
