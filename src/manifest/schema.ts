// The schema of world.yaml, and the one place its defaults are written down. `world schema` prints
// this table; the README points here.
import { integer, list, object, record, string, type Field } from './check.ts';
import { benchSchema, configurationSchema, expansionSchema, workloadSchema } from './bench.ts';

export const PACKAGE_NAME = /^[a-z0-9][a-z0-9-]*$/;
const packageName = string({ pattern: PACKAGE_NAME, patternText: 'a package name (lower-case letters, digits, -)' });
const sha256 = string({ pattern: /^[0-9a-f]{64}$/, patternText: 'a sha256 (64 lower-case hex digits)' });
const debName = string({ pattern: /^[a-z0-9][a-z0-9+.-]+$/, patternText: 'a Debian package name (lower-case letters, digits, + - .)' });
const url = string({ pattern: /^(https?|file):\/\/\S+$/, patternText: 'an http://, https:// or file:// URL' });

export const sourceSchema = object({
  url: { schema: url, doc: 'download from this URL (http, https or file), then try the mirrors in order' },
  file: { schema: string(), doc: 'a file relative to world.yaml' },
  path: { schema: string(), doc: 'an in-repo tree relative to world.yaml, hashed without git-ignored files' },
  deb: { schema: debName, doc: 'a Debian package apt serves; `world lock` pins its version and sha256 in world.lock' },
  sha256: { schema: sha256, doc: 'required for url and file: the expected sha256 of the file' },
  mirrors: { schema: list(url), doc: 'more base URLs for this source, tried before the global mirrors', defaultText: '[]' },
}, 'a source (one of url, file, path or deb)');

export const packageSchema = object({
  recipe: { schema: string(), doc: 'the recipe module recipes/<recipe>.ts', defaultText: 'the package name' },
  source: { schema: sourceSchema, doc: "where the source comes from", defaultText: "the recipe's source" },
  depends: { schema: list(packageName), doc: 'packages whose installed artifacts this one needs', defaultText: '[]' },
  variants: { schema: list(string()), doc: 'which of the recipe\'s variants to build', defaultText: "all of the recipe's variants" },
  options: { schema: { expected: 'a mapping of option names to values', read: (n) => n }, doc: "values for the recipe's options", defaultText: "the recipe's option defaults" },
}, 'a package');

export const worldSchema = object({
  version: { schema: integer({ min: 1, max: 1 }), doc: 'the world.yaml format version', defaultText: '1' },
  mirrors: { schema: list(url), doc: 'base URLs tried in order after a source\'s own URL: <mirror>/<file name>', defaultText: '[]' },
  targets: { schema: list(string()), doc: 'what `world build` builds when given no targets', defaultText: 'every package' },
  packages: { schema: record(packageSchema, packageName), doc: 'the packages of the world, by name', required: true },
  bench: { schema: benchSchema, doc: 'the benchmark matrix `world bench` runs (configurations x workloads)', defaultText: '(no matrix)' },
}, 'a world (mapping with packages)');

/** Rows of the defaults table: key path, expected value, default, meaning. */
export function schemaTable(): string[][] {
  const rows: string[][] = [];
  const walk = (prefix: string, fields: Record<string, Field<unknown>>): void => {
    for (const [name, f] of Object.entries(fields)) {
      rows.push([prefix + name, f.schema.expected, f.required ? '(required)' : f.defaultText ?? '(none)', f.doc]);
    }
  };
  walk('', worldSchema.fields);
  walk('packages.<name>.', packageSchema.fields);
  walk('packages.<name>.source.', sourceSchema.fields);
  walk('bench.', benchSchema.fields);
  walk('bench.configurations.<name>.', configurationSchema.fields);
  walk('bench.workloads.<name>.', workloadSchema.fields);
  walk('bench.expansion.', expansionSchema.fields);
  return rows;
}
