// Converts CustomResourceDefinition files into kubeconform schemas (same layout and strictness as
// openapi2jsonschema.py): {kind}-{first label of group}-{version}.json.
// Usage: node --import tsx test/helm/crd2jsonschema.ts OUT_DIR CRD.yaml...
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

type Schema = Record<string, unknown>;

/** Objects with properties reject unknown fields; int-or-string accepts both. */
export function strict(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) strict(item);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const schema = node as Schema;
  if (schema['x-kubernetes-int-or-string']) {
    delete schema.type;
    schema.oneOf = [{ type: 'string' }, { type: 'integer' }];
  }
  if (schema['x-kubernetes-preserve-unknown-fields']) delete schema.additionalProperties;
  else if (schema.properties && schema.additionalProperties === undefined)
    schema.additionalProperties = false;
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && value && typeof value === 'object')
      for (const prop of Object.values(value)) strict(prop);
    else if (key !== 'enum' && key !== 'required' && key !== 'default' && key !== 'example') strict(value);
  }
}

export function convert(outDir: string, files: string[]): number {
  let written = 0;
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const crd = doc.toJS() as {
        kind?: string;
        spec?: {
          group: string;
          names: { kind: string };
          versions: { name: string; schema?: { openAPIV3Schema: Schema } }[];
        };
      } | null;
      if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
      const group = crd.spec.group.split('.')[0];
      for (const version of crd.spec.versions) {
        const schema = version.schema?.openAPIV3Schema;
        if (!schema) continue;
        strict(schema);
        const name = `${crd.spec.names.kind.toLowerCase()}-${group}-${version.name}.json`;
        writeFileSync(
          join(outDir, name),
          JSON.stringify({ $schema: 'http://json-schema.org/draft-04/schema#', ...schema }),
        );
        written++;
      }
    }
  }
  return written;
}

const [outDir, ...files] = process.argv.slice(2);
if (!outDir || files.length === 0) {
  process.stderr.write('usage: crd2jsonschema.ts OUT_DIR CRD.yaml...\n');
  process.exit(2);
}
process.stdout.write(`crd2jsonschema: wrote ${convert(outDir, files)} schemas to ${outDir}\n`);
