// The `linux-trap-and-emulate-l4` row: unmodified Linux 6.1 under the L4 model's trap-and-emulate
// monitor panics at its first timer tick (test/linux/trap-emulate.test.ts shows why), so the bench
// records the run as not run with the reason, and the tables show it. The reason must name the
// panic, the faulting function (oracle: nm's symbol owning the EIP Linux printed) and every site
// of the run's hole report (whose sites trap-emulate.test.ts checks against objdump), and the
// bench's measurement must record it that way, not as a failure. Any other failed run stays one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linuxGuestWithSymbols } from './world-build.ts';
import { runNetperf } from '../../harness/workloads/netperf.ts';
import { measure } from '../../harness/measure.ts';
import { holeOutcome } from '../../harness/hole-outcome.ts';
import { parseSystemMap } from '../../emulator/hypervisors/system-map.ts';
import { symbolOwner } from '../hypervisors/oracle.ts';

const guest = await linuxGuestWithSymbols();
const symbols = parseSystemMap(readFileSync(guest.systemMap, 'latin1'));
const BYTES = 1 << 20;
// measure() reads its images from files, as the bench's workers do.
const dir = mkdtempSync(join(tmpdir(), 'world-te-row-'));
const initrdPath = join(dir, 'initrd.cpio');
writeFileSync(initrdPath, guest.initrd);
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('under L4 trap-and-emulate Linux panics in irq_work_run_list; the reason names it and every hole site', async () => {
  const r = runNetperf({ elf: readFileSync(guest.bzImage), kernelName: 'bzImage', initrd: guest.initrd, symbols, backend: 'l4', direction: 'send', bytes: BYTES, messageBytes: 32768 });
  assert.is(r.report.verified, false);
  assert.is(r.report.stop, 'Linux panicked: Fatal exception in interrupt', 'the run ends at the panic, not at the time limit');
  const reason = holeOutcome({ stop: r.report.stop, mode: r.report.backend?.mode, holes: r.report.backend!.trap_and_emulate!.holes, serial: r.serial }, symbols);
  assert.ok(reason !== null);
  const eip = parseInt(/^EIP: 0x([0-9a-f]+)/m.exec(r.serial)![1]!, 16);
  const owner = await symbolOwner(guest.vmlinux);
  assert.is(owner(eip), 'irq_work_run_list');
  assert.match(reason!, /^Linux 6\.1 panicked \(Fatal exception in interrupt; invalid opcode at irq_work_run_list\+0x[0-9a-f]+\)/);
  const holes = r.report.backend!.trap_and_emulate!.holes;
  assert.ok(holes.some((h) => h.instruction === 'pushf' && h.symbol.startsWith('irq_work_run_list+')), 'the pushf that read IF = 1 is a hole site');
  assert.ok(reason!.includes(`${holes.length} sites that ran without trapping`));
  for (const h of holes) assert.ok(new RegExp(`${h.instruction} \\(\\d+\\): [^;]*\\b${h.symbol.replace(/[.+]/g, '\\$&')}(,|;|\\))`).test(reason!), `${h.instruction} at ${h.symbol} named`);

  // The bench's measurement of the same run: not run, with that reason; not a failure.
  const m = measure({ configuration: 'linux-trap-and-emulate-l4', workload: 'netperf-send', backend: 'l4', guest: guest.bzImage, symbols: guest.systemMap,
    direction: 'send', transferBytes: BYTES, messageBytes: 32768, profile: 'p4-2.8ghz',
    initrd: initrdPath });
  assert.is(m.failure, null);
  assert.is(m.notRun, reason);
});

test('a panic outside trap-and-emulate, or a run that did not panic, is no outcome (it stays a failure)', () => {
  const holes = [{ instruction: 'pushf' as const, address: '0xc1000000', symbol: 'f', count: 1 }];
  assert.is(holeOutcome({ stop: 'Linux panicked: x', mode: 'pv-wedge', holes, serial: '' }, undefined), null);
  assert.is(holeOutcome({ stop: 'Linux panicked: x', mode: undefined, holes, serial: '' }, undefined), null);
  assert.is(holeOutcome({ stop: 'the guest ran 11 guest seconds without exiting', mode: 'trap-and-emulate', holes, serial: '' }, undefined), null);
});

test.run();
