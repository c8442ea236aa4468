// The NIC's DMA under a hypervisor model: a descriptor address in the hypervisor's memory (above
// the guest's physical memory, below the end of RAM) stops the run naming the address, under l4
// (ABI.md §7) and under xen; on hardware the same address is ordinary RAM.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import type { BackendName } from '../../emulator/hypervisors/hypervisor.ts';
import { transmitFrom } from './attacks.ts';
import { buildL4TestGuest, buildXenTestGuest } from './build.ts';

const MEM = 32 << 20;
let l4task: Uint8Array, xenGuest: Uint8Array;

test.before(async () => {
  l4task = readFileSync(await buildL4TestGuest());
  xenGuest = readFileSync(await buildXenTestGuest());
});

/** The address a DMA-limit stop names (the descriptor word the NIC read first). */
function dmaAddress(detail: string, owner: string): number {
  const m = new RegExp(`^${owner}: dp83820 DMA at 0x([0-9a-f]+) \\(4 bytes\\)`).exec(detail);
  if (!m) assert.unreachable(detail);
  return parseInt(m![1]!, 16);
}

const txAt = (backend: BackendName, elf: Uint8Array, addr: number) => transmitFrom(backend, elf, MEM, addr);

test('l4: a TX descriptor in the kernel\'s reserved memory stops the run naming the address', () => {
  const addr = MEM - (8 << 20) + 0x100;
  const { stop, errors } = txAt('l4', l4task, addr);
  assert.is(stop.kind, 'shutdown');
  const at = dmaAddress((stop as { detail: string }).detail, 'l4');
  assert.ok(at >= addr && at < addr + 16, 'a word of the descriptor');
  assert.match((stop as { detail: string }).detail, `[0, 0x${(MEM - (8 << 20)).toString(16)})`);
  assert.match(errors[0]!, `descriptor at 0x${addr.toString(16).padStart(8, '0')}`);
});

test('xen: a TX descriptor in Xen\'s memory stops the run naming the address', () => {
  const addr = MEM - (4 << 20) + 0x40;
  const { stop } = txAt('xen', xenGuest, addr);
  assert.is(stop.kind, 'shutdown');
  const at = dmaAddress((stop as { detail: string }).detail, 'xen');
  assert.ok(at >= addr && at < addr + 16, 'a word of the descriptor');
});

test('hardware: the same address is RAM (no stop from the DMA limit)', () => {
  const { stop } = txAt('hardware', readFileSync(new URL('../../.world/test-hypervisors/xentest/maphv-native.elf', import.meta.url).pathname), MEM - (4 << 20) + 0x40);
  assert.is.not((stop as { detail?: string }).detail?.includes('dp83820 DMA'), true);
});

test.run();
