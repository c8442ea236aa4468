// Counts that pass 2^31 in a long run keep their object's shape (clock.ts WIDE_COUNT). V8 gives a
// field the representation of the first value stored in it; a small integer's field that later
// takes 2^31 or more moves the object to a new hidden class, which throws away every function
// compiled against the old one, every generated block included. The check asks V8 itself
// (%HaveSameMap, in a child process with --allow-natives-syntax): a fresh object and one whose
// counts went past 2^31 must share their hidden class.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `body` as an ES module with V8's natives syntax, TypeScript imports through tsx; returns its output. */
async function withNatives(body: string): Promise<string> {
  const r = await execa(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', body], { cwd: repo, reject: false });
  assert.is(r.exitCode, 0, r.stderr);
  return r.stdout.trim();
}

test('the CPU statistics keep their hidden class when every count passes 2^31', async () => {
  const out = await withNatives(`
    import { newCpuStats } from ${JSON.stringify(`${repo}emulator/cpu/stats.ts`)};
    const fresh = newCpuStats(), long = newCpuStats();
    // Every number-valued field: a counter added later is checked too.
    const counts = Object.keys(fresh).filter((k) => typeof fresh[k] === 'number');
    for (const k of counts) long[k] = 2 ** 31 + 1;
    process.stdout.write(JSON.stringify({ counts: counts.length, same: %HaveSameMap(fresh, long), zero: counts.every((k) => fresh[k] === 0) }));
  `);
  const r = JSON.parse(out) as { counts: number; same: boolean; zero: boolean };
  assert.ok(r.counts >= 7, `the statistics' counts were found (${r.counts})`);
  assert.equal({ same: r.same, zero: r.zero }, { same: true, zero: true });
});

test('the machine clock keeps its hidden class when its idle cycle count passes 2^31', async () => {
  const out = await withNatives(`
    import { Clock } from ${JSON.stringify(`${repo}emulator/clock.ts`)};
    const time = { cycles: 0 };
    const fresh = new Clock(time, 1000000), long = new Clock(time, 1000000);
    long.idleCycles = 2 ** 31 + 1;
    process.stdout.write(String(%HaveSameMap(fresh, long) && fresh.idleCycles === 0));
  `);
  assert.is(out, 'true');
});

test('the check can tell: a small-integer field that passes 2^31 changes the hidden class', async () => {
  const out = await withNatives(`
    const a = { n: 0 }, b = { n: 0 };
    b.n = 2 ** 31 + 1;
    process.stdout.write(String(%HaveSameMap(a, b)));
  `);
  assert.is(out, 'false');
});

test.run();
