// A guest under a hypervisor model's trap-and-emulate judged against the same guest on hardware
// (the oracle): serial output compared with the scheduling counters left out (they differ by
// design: emulation costs cycles, so preemption points move), and the isolation guests, which
// run on where hardware lets them and must be stopped by the model.
import * as assert from 'uvu/assert';
import { runKernel } from '../../emulator/run.ts';
import type { BackendName } from '../../emulator/hypervisors/hypervisor.ts';

/** Serial lines with the scheduling counters (which depend on timing) taken out, sorted. */
export function withoutSchedCounters(out: Uint8Array): string[] {
  return Buffer.from(out).toString().split('\n')
    .map((l) => l.replace(/ (preempted|switches|ticks)=\d+/g, '').replace(/ in \d+ ticks/, ''))
    .sort();
}

/**
 * Runs a map-hypervisor-memory guest (it exits 0x11 once its access is done) in 16 MiB on
 * hardware, which must let it through, and on `backend`, which must stop it: that run.
 */
export function stoppedWhereHardwareRuns(elf: Uint8Array, backend: BackendName): ReturnType<typeof runKernel> {
  const h = runKernel({ elf, kernelName: 'maphv', mem: 16 << 20, maxInstructions: 10_000 });
  assert.is(h.exitCode, 0x11, 'on hardware it runs on and exits 0x11');
  const x = runKernel({ elf, kernelName: 'maphv', mem: 16 << 20, backend, maxInstructions: 10_000 });
  assert.is(x.exitCode, null, 'stopped by the model');
  return x;
}
