// A short seeded sample of the deep guest fuzzing (npm run reliability:fuzz runs 1e8 instructions):
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
import { runFuzz, modesFor, patchParams, tickLimitFor, type FuzzParams } from '../../guests/fuzz/run.ts';
import { BACKENDS } from '../../emulator/hypervisors/backend-names.ts';
import { qemuAvailable, runOnQemu } from './support/qemu.ts';

let elf: Uint8Array = new Uint8Array();
test.before(async () => {
  elf = readFileSync(await buildFuzzKernel());
});

for (const backend of BACKENDS) {
  test(`${backend}: 48 streams in every mode finish; exceptions of many vectors were taken and resumed`, () => {
    const r = runFuzz(elf, backend, { seed: 3, streams: 48, insns: 48, modes: modesFor(backend), det: false, tickLimit: tickLimitFor(backend) }, 50_000_000);
    assert.is(r.outcome, 'ok', r.detail);
    assert.is(r.streams, 48);
    for (const v of ['06', '0d', '0e']) assert.ok((r.vectors[v] ?? 0) > 0, `vector 0x${v} taken: ${JSON.stringify(r.vectors)}`);
    const total = Object.values(r.vectors).reduce((a, n) => a + n, 0);
    assert.ok(total > 3 * 48, `more exceptions than streams (${total}): the handlers resume streams`);
  });
}

// Seeds that found a bug, kept as regressions (each failed before its fix; the generator and
// the kernel are deterministic, so the same seed builds the same streams).
const REGRESSIONS: { what: string; backend: 'hardware' | 'xen' | 'l4'; params: FuzzParams }[] = [
  { what: 'int n with TF set takes no single-step trap at the handler', backend: 'hardware', params: { seed: 1, streams: 64, insns: 48, modes: 15, det: false, tickLimit: 2 } },
  { what: 'an emulated segment load leaves a usable real register (L4)', backend: 'l4', params: { seed: 2, streams: 11, insns: 48, modes: 1, det: false, tickLimit: 2 } },
  { what: 'a process entered by the kernel\'s native iret from ring 1 runs with IF set (Xen)', backend: 'xen', params: { seed: 1, streams: 33, insns: 48, modes: 2, det: false, tickLimit: 2 } },
  { what: 'the virtual PIC answers OCW3 with the ISR, so the timer handler sends its EOI (L4)', backend: 'l4', params: { seed: 6, streams: 31, insns: 48, modes: 8, det: false, tickLimit: 2 } },
];
for (const { what, backend, params } of REGRESSIONS) {
  test(`regression, seed ${params.seed} on ${backend}: ${what}`, () => {
    const r = runFuzz(elf, backend, params, 30_000_000);
    assert.is(r.outcome, 'ok', r.detail);
    assert.is(r.streams, params.streams);
  });
}

const DET: FuzzParams = { seed: 11, streams: 32, insns: 48, modes: 8, det: true, tickLimit: 2 };
const digests = (serial: string): string[] => serial.split('\n').filter((l) => /^d \d+ [0-9a-f]{8}$/.test(l));

test('deterministic streams: the same digests on hardware, under Xen and under L4', () => {
  // Seed 7 holds a prefixed int n whose #GP the models once reported a byte late (stream 15).
  for (const params of [DET, { ...DET, seed: 7 }]) {
    const hw = runFuzz(elf, 'hardware', params, 50_000_000);
    assert.is(hw.outcome, 'ok', hw.detail);
    assert.is(digests(hw.serial).length, params.streams);
    for (const b of ['xen', 'l4'] as const) {
      const r = runFuzz(elf, b, params, 50_000_000);
      assert.equal(digests(r.serial), digests(hw.serial), `${b}, seed ${params.seed}`);
    }
  }
});

// QEMU runs one instruction per translated block (-singlestep): the kernel rewrites the stream's
// code page between streams, and with whole blocks QEMU 7.2 was seen running a block of the
// previous stream's code (seed 14, stream 1), where one instruction per block gives the
// architectural result, the same as this emulator's.
if (qemuAvailable()) {
  test('deterministic streams: the same digests as QEMU', () => {
    const ours = digests(runFuzz(elf, 'hardware', DET, 50_000_000).serial);
    const q = runOnQemu(patchParams(elf, DET), '64', ['-singlestep']);
    assert.is(q.exitValue, 0, q.serial.slice(-300));
    assert.is(digests(q.serial).length, DET.streams);
    assert.equal(ours, digests(q.serial));
  });
} else {
  console.log('  skipped (no qemu-system-i386; scripts/setup.sh installs it): deterministic streams vs QEMU');
  test.skip('deterministic streams: the same digests as QEMU');
}

test.run();
