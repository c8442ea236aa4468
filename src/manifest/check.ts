// A small typed schema kit that validates a parsed YAML node tree. Validation walks the nodes (not
// plain values) so every problem can be pinned to the line and column where it is written.
import { isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from 'yaml';
import { joinPath, type ManifestIssue, type Position } from './errors.ts';
import { closest } from './suggest.ts';

export type KeyPath = (string | number)[];

/** Where validation is: the file being read and the issues found so far. */
export class Checker {
  readonly issues: ManifestIssue[] = [];
  constructor(readonly file: string, private readonly lines: LineCounter) {}

  position(node: Node | Pair | null | undefined): Position {
    const range = node && 'range' in node ? node.range : undefined;
    const offset = range ? range[0] : 0;
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  report(node: Node | Pair | null | undefined, path: KeyPath, message: string): void {
    this.issues.push({ file: this.file, pos: this.position(node), path: joinPath(path), message });
  }
}

/**
 * A schema reads one node into a typed value, or reports why it cannot and returns undefined.
 * Containers return what they could read even when some entries were bad, so one pass finds
 * every problem; the caller fails if any issue was reported.
 */
export interface Schema<T> {
  /** What the value should look like, in words, for error messages and the defaults table. */
  expected: string;
  read(node: Node | null, path: KeyPath, c: Checker): T | undefined;
}

function describe(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value === null ? 'null' : `${typeof node.value} ${shorten(JSON.stringify(node.value) ?? String(node.value))}`;
  return 'an alias';
}

/** A value as it appears in a message: long ones cut, with their length, so one bad value cannot flood the terminal. */
export function shorten(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 20)}... (${text.length} characters)`;
}

export function string(opts: { pattern?: RegExp; patternText?: string } = {}): Schema<string> {
  const expected = opts.patternText ?? 'a string';
  return {
    expected,
    read(node, path, c) {
      if (!isScalar(node) || typeof node.value !== 'string') {
        c.report(node, path, `expected ${expected}, got ${describe(node)}`);
        return undefined;
      }
      if (opts.pattern && !opts.pattern.test(node.value)) {
        c.report(node, path, `expected ${expected}, got ${shorten(JSON.stringify(node.value))}`);
        return undefined;
      }
      return node.value;
    },
  };
}

export function integer(opts: { min?: number; max?: number } = {}): Schema<number> {
  const range = opts.min !== undefined && opts.min === opts.max ? ` equal to ${opts.min}`
    : opts.min !== undefined && opts.max !== undefined ? ` from ${opts.min} to ${opts.max}`
    : opts.min !== undefined ? ` >= ${opts.min}` : '';
  const expected = `an integer${range}`;
  return {
    expected,
    read(node, path, c) {
      const v = isScalar(node) ? node.value : undefined;
      if (typeof v !== 'number' || !Number.isInteger(v)
        || (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
        c.report(node, path, `expected ${expected}, got ${describe(node)}`);
        return undefined;
      }
      return v;
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    expected: 'true or false',
    read(node, path, c) {
      if (!isScalar(node) || typeof node.value !== 'boolean') {
        c.report(node, path, `expected true or false, got ${describe(node)}`);
        return undefined;
      }
      return node.value;
    },
  };
}

export function oneOf<T extends string>(values: readonly T[]): Schema<T> {
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return {
    expected,
    read(node, path, c) {
      const v = isScalar(node) ? node.value : undefined;
      if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
      const hint = typeof v === 'string' ? closest(v, values) : undefined;
      c.report(node, path, `expected ${expected}, got ${describe(node)}${hint ? `; did you mean '${hint}'?` : ''}`);
      return undefined;
    },
  };
}

export function list<T>(item: Schema<T>): Schema<T[]> {
  return {
    expected: `a list, each ${item.expected}`,
    read(node, path, c) {
      if (!isSeq(node)) {
        c.report(node, path, `expected a list, each ${item.expected}; got ${describe(node)}`);
        return undefined;
      }
      const out: T[] = [];
      node.items.forEach((n, i) => {
        const v = item.read(n as Node | null, [...path, i], c);
        if (v !== undefined) out.push(v);
      });
      return out;
    },
  };
}

/** A mapping from free-form names to values of one schema (e.g. the packages table). */
export function record<T>(value: Schema<T>, key: Schema<string>): Schema<Map<string, { value: T; keyNode: Node }>> {
  return {
    expected: `a mapping from names to values, each ${value.expected}`,
    read(node, path, c) {
      if (!isMap(node)) {
        c.report(node, path, `expected a mapping, got ${describe(node)}`);
        return undefined;
      }
      const out = new Map<string, { value: T; keyNode: Node }>();
      for (const pair of node.items) {
        const keyNode = pair.key as Node;
        const name = key.read(keyNode, path, c);
        if (name === undefined) continue;
        const v = value.read(pair.value as Node | null, [...path, name], c);
        if (v !== undefined) out.set(name, { value: v, keyNode });
      }
      return out;
    },
  };
}

export interface Field<T> {
  schema: Schema<T>;
  /** What the key means; shown in `world schema` and the README's table. */
  doc: string;
  required?: boolean;
  /** Human-readable default when the key is absent (the value itself is applied by the caller). */
  defaultText?: string;
}

type Fields = Record<string, Field<unknown>>;
type Values<F extends Fields> = { [K in keyof F]?: F[K] extends Field<infer T> ? T : never };

export interface ObjectSchema<F extends Fields> extends Schema<Values<F> & { node: Node }> {
  fields: F;
}

/** A mapping with a fixed set of keys. Unknown keys are errors, with the closest valid key suggested. */
export function object<F extends Fields>(fields: F, expected = 'a mapping'): ObjectSchema<F> {
  const names = Object.keys(fields);
  return {
    fields,
    expected,
    read(node, path, c) {
      if (!isMap(node)) {
        c.report(node, path, `expected ${expected} with keys ${names.join(', ')}; got ${describe(node)}`);
        return undefined;
      }
      const out: Record<string, unknown> = { node };
      for (const pair of node.items) {
        const keyNode = pair.key as Node;
        const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
        if (key === undefined) {
          c.report(keyNode, [...path, '?'], `expected a key name (one of: ${names.join(', ')}); got ${describe(keyNode)} as a key`);
          continue;
        }
        if (!Object.hasOwn(fields, key)) {
          const hint = closest(key, names);
          c.report(keyNode, [...path, key],
            `unknown key '${key}'; expected one of: ${names.join(', ')}${hint ? `; did you mean '${hint}'?` : ''}`);
          continue;
        }
        const v = fields[key]!.schema.read(pair.value as Node | null, [...path, key], c);
        if (v !== undefined) out[key] = v;
      }
      for (const [name, f] of Object.entries(fields)) {
        if (f.required && !(name in out) && node.items.every((p) => !isScalar(p.key) || p.key.value !== name)) {
          c.report(node, path, `missing required key '${name}' (${f.schema.expected}: ${f.doc})`);
        }
      }
      // Partial on error (bad keys left out), so later checks can still find the other problems;
      // the issues already recorded make the whole load fail.
      return out as Values<F> & { node: Node };
    },
  };
}

/** The key node of `key` inside a mapping node, to point errors at a key found valid earlier. */
export function keyNodeOf(map: Node, key: string): Node | undefined {
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  return pair ? (pair.key as Node) : undefined;
}

export function valueNodeOf(map: Node, key: string): Node | undefined {
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  return pair ? (pair.value as Node) : undefined;
}
