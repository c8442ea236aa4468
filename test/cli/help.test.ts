import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';

const world = new URL('../../bin/world.js', import.meta.url).pathname;

test('world --help lists every command with a summary', async () => {
  const { stdout, exitCode } = await execa('node', [world, '--help'], { reject: false });
  assert.is(exitCode, 0);
  assert.match(stdout, /usage: world <command>/);
  const { commands } = await import('../../src/commands/index.ts');
  for (const c of commands) assert.match(stdout, new RegExp(`\\n  ${c.name}\\s+\\S`));
});

test('an unknown command exits 2 and names it', async () => {
  const { stderr, exitCode } = await execa('node', [world, 'frobnicate'], { reject: false });
  assert.is(exitCode, 2);
  assert.match(stderr, /unknown command 'frobnicate'/);
});

test.run();
