// Lines of code of the wedge: non-blank lines outside comments, headers vs sources, by component.
// Expected counts are written by hand for each snippet.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeLines, countWedge } from '../../harness/loc.ts';
import { tempDir } from './synthetic.ts';

test('C: block comments across lines, line comments, blank lines; markers inside strings are text', () => {
  const c = [
    '/* file comment',
    ' * more */',
    '',
    '#include "a.h"      // counts',
    'int x; /* trailing */',
    '/* only */ /* comments */',
    '   // indented comment',
    'const char *u = "http://x/*y*/";',
    'int y = /* mid */ 2;',
    '/* opens',
    'still comment */ int z;',
  ].join('\n');
  assert.is(codeLines(c, false), 5);
});

test('assembly: "# " comments do not count, preprocessor lines do', () => {
  const s = ['# a comment', '#include "x.h"', '#define A 1', '\tcli   # turn off', '   #\tindented comment', '', '/* c */', 'sti'].join('\n');
  assert.is(codeLines(s, true), 4);
});

test('a wedge tree is counted by component, .h as headers and .c/.S as sources; no tree gives null', () => {
  const dir = tempDir();
  assert.is(countWedge(join(dir, 'none'), ['common']), null);
  mkdirSync(join(dir, 'common'));
  mkdirSync(join(dir, 'xen', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'common', 'a.h'), 'int a;\n\n// x\nint b;\n');
  writeFileSync(join(dir, 'common', 'a.c'), 'int a;\n');
  writeFileSync(join(dir, 'xen', 'e.S'), '# c\nret\n');
  writeFileSync(join(dir, 'xen', 'sub', 'm.c'), 'int m;\nint n;\n');
  writeFileSync(join(dir, 'xen', 'README'), 'text\n');
  mkdirSync(join(dir, 'l4'));
  writeFileSync(join(dir, 'l4', 'README.md'), 'planned\n');
  assert.equal(countWedge(dir, ['common', 'xen', 'l4', 'device']), { common: { headers: 2, sources: 1 }, xen: { headers: 0, sources: 3 } });
});

test.run();
