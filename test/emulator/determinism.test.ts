// Same image, same options: byte-identical serial output and statistics JSON, twice over. Uses
// the differential suite's interrupt/timer kernel (PIC, PIT, hlt), where event order matters most.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runKernel } from '../../emulator/run.ts';

const guests = new URL('../emulator-kernels/', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'world-determinism-'));

function guest(name: string): Uint8Array {
  execFileSync('make', ['-s', '-C', guests, `O=${out}`, `${out}/${name}.elf`], { stdio: 'pipe' });
  return readFileSync(join(out, `${name}.elf`));
}

test('pic_pit booted twice: identical serial bytes and identical stats JSON', () => {
  const elf = guest('pic_pit');
  const run = () => runKernel({ elf, kernelName: 'pic_pit.elf', mem: 64 << 20, maxInstructions: 50_000_000 });
  const a = run(), b = run();
  assert.ok(a.serialOutput.length > 0, 'the guest printed something');
  assert.is(a.stats.stop.kind, 'exit', a.reason);
  assert.ok(Object.keys(a.stats.interrupts).length > 0, 'interrupts were taken');
  assert.ok(a.stats.cycles.idle > 0, 'and the clock idled through hlt');
  assert.equal(Buffer.from(a.serialOutput), Buffer.from(b.serialOutput));
  assert.is(JSON.stringify(a.stats), JSON.stringify(b.stats));
});

test.after(() => rmSync(out, { recursive: true, force: true }));
test.run();
