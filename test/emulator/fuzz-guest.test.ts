// A short seeded sample of the deep guest fuzzing (npm run bench:fuzz runs 1e8 instructions):
// the fuzz kernel (guests/fuzz) runs random instruction streams in ring 0 and ring 3, paging off
// and on, on every back-end, and must finish every stream with no JavaScript error inside the
// emulator or a model and no hang; its handlers must have resumed through exceptions of many
// vectors. The deterministic streams' digests must agree with QEMU (the oracle; a counted skip
// without qemu-system-i386) and must not depend on the back-end: a ring-3 program sees the same
// machine under trap-and-emulate as on hardware.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { buildFuzzKernel } from '../../guests/fuzz/build.ts';
import { runFuzz, modesFor, patchParams, type FuzzParams } from '../../guests/fuzz/run.ts';
import { BACKENDS } from '../../emulator/hypervisors/backend-names.ts';
import { qemuAvailable, runOnQemu } from './support/qemu.ts';

let elf: Uint8Array = new Uint8Array();
test.before(async () => {
  elf = readFileSync(await buildFuzzKernel());
});

for (const backend of BACKENDS) {
  test(`${backend}: 48 streams in every mode finish; exceptions of many vectors were taken and resumed`, () => {
    const r = runFuzz(elf, backend, { seed: 3, streams: 48, insns: 48, modes: modesFor(backend), det: false, tickLimit: 2 }, 50_000_000);
    assert.is(r.outcome, 'ok', r.detail);
    assert.is(r.streams, 48);
    for (const v of ['06', '0d', '0e']) assert.ok((r.vectors[v] ?? 0) > 0, `vector 0x${v} taken: ${JSON.stringify(r.vectors)}`);
    const total = Object.values(r.vectors).reduce((a, n) => a + n, 0);
    assert.ok(total > 3 * 48, `more exceptions than streams (${total}): the handlers resume streams`);
  });
}

const DET: FuzzParams = { seed: 11, streams: 32, insns: 48, modes: 8, det: true, tickLimit: 2 };
const digests = (serial: string): string[] => serial.split('\n').filter((l) => /^d \d+ [0-9a-f]{8}$/.test(l));

test('deterministic streams: the same digests on hardware, under Xen and under L4', () => {
  const hw = runFuzz(elf, 'hardware', DET, 50_000_000);
  assert.is(hw.outcome, 'ok', hw.detail);
  assert.is(digests(hw.serial).length, DET.streams);
  for (const b of ['xen', 'l4'] as const) {
    const r = runFuzz(elf, b, DET, 50_000_000);
    assert.equal(digests(r.serial), digests(hw.serial), b);
  }
});

// Streams of this sample whose digest QEMU 7.2 does not reproduce, not yet explained (a
// difference in memory after the stream; guests/fuzz/README.md). Named here so that any other
// difference fails, and so that this one is seen.
const KNOWN_QEMU_DIFFERENCES = ['d 23'];

if (qemuAvailable()) {
  test('deterministic streams: the same digests as QEMU', () => {
    const ours = digests(runFuzz(elf, 'hardware', DET, 50_000_000).serial);
    const q = runOnQemu(patchParams(elf, DET), '64');
    assert.is(q.exitValue, 0, q.serial.slice(-300));
    const theirs = digests(q.serial);
    assert.is(theirs.length, DET.streams);
    const differ = ours.filter((l, i) => l !== theirs[i]).map((l) => l.replace(/ [0-9a-f]{8}$/, ''));
    assert.equal(differ, KNOWN_QEMU_DIFFERENCES);
  });
} else {
  console.log('  skipped (no qemu-system-i386; scripts/setup.sh installs it): deterministic streams vs QEMU');
  test.skip('deterministic streams: the same digests as QEMU');
}

test.run();
