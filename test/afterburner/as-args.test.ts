// The drop-in's reading of GNU as command lines: which calls it rewrites, which arguments are
// inputs, and response files that round-trip through libiberty's quoting rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  expandArgs, flatten, joinResponseFile, parseAsCommandLine, splitResponseFile, substituteArgs,
} from '../../afterburner/as-args.ts';

const parse = (args: string[]) => parseAsCommandLine(args);

test('gcc -m32 calls are targeted; inputs and output are found', () => {
  const c = parse(['--32', '-o', 'f.o', '/tmp/ccX.s']);
  assert.ok(c.target);
  assert.equal(c.inputs, [3]);
  assert.is(c.output, 'f.o');
  assert.not.ok(c.readsStdin);
});

test('64-bit code, no mode flag, and information-only calls pass through', () => {
  assert.not.ok(parse(['--64', '-o', 'f.o', 'f.s']).target);
  assert.not.ok(parse(['-o', 'f.o', 'f.s']).target);
  assert.not.ok(parse(['--32', '--version']).target);
  assert.not.ok(parse(['--help']).target);
  assert.ok(parse(['--64', '--32', 'f.s']).target, 'the last mode flag wins');
});

test('option values are not mistaken for inputs', () => {
  const c = parse(['--32', '-I', 'inc', '--defsym', 'X=1', '--MD', 'dep.d', '-march', 'i686', '-ofile.o', '-Iother', '--debug-prefix-map=/a=/b', 'a.s', 'b.s']);
  assert.equal(c.inputs, [12, 13]);
  assert.is(c.output, 'file.o');
});

test('standard input: no input files, "-" or "--"', () => {
  assert.ok(parse(['--32', '-o', 'x.o']).readsStdin);
  assert.ok(parse(['--32', '-o', 'x.o', '-']).readsStdin);
  const c = parse(['--32', '-o', 'x.o', '--', 'a.s']);
  assert.ok(c.readsStdin);
  assert.equal(c.inputs, [4]);
});

test('response files: quotes and escapes as libiberty reads them, round-tripped', () => {
  assert.equal(splitResponseFile(`--32 -o "my file.o" 'a b.s' c\\ d.s\n`), ['--32', '-o', 'my file.o', 'a b.s', 'c d.s']);
  const args = ['-o', 'x y.o', 'q"uote.s', "it's", 'back\\slash', ''];
  assert.equal(splitResponseFile(joinResponseFile(args)), args);
});

test('inputs inside a response file are replaced by writing a new one; other arguments stay', () => {
  const files: Record<string, string> = { 'args.rsp': '--32 -o out.o in.s', 'inner.rsp': '-I dir' };
  const tree = expandArgs(['@inner.rsp', '@args.rsp', '@missing.rsp'], (p) => files[p] ?? null);
  const flat = flatten(tree);
  assert.equal(flat, ['-I', 'dir', '--32', '-o', 'out.o', 'in.s', '@missing.rsp']);
  const call = parseAsCommandLine(flat);
  assert.equal(call.inputs.map((i) => flat[i]), ['in.s', '@missing.rsp']);
  const written: string[][] = [];
  const out = substituteArgs(tree, new Map([[5, '/tmp/burnt/in.s']]), (list) => {
    written.push(list);
    return `/tmp/new${written.length}.rsp`;
  });
  assert.equal(out, ['@inner.rsp', '@/tmp/new1.rsp', '@missing.rsp']);
  assert.equal(written, [['--32', '-o', 'out.o', '/tmp/burnt/in.s']]);
});

test.run();
