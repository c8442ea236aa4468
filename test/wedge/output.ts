// Comparing a guest kernel's serial output under a hypervisor with the native run's, after the
// documented exceptions (boot.test.ts says which lines differ and why), and counting the
// afterburner's sites in an image. Shared by the Xen and L4 wedge tests.
import * as assert from 'uvu/assert';
import { execa } from 'execa';

export function mask(line: string): string {
  return line
    .replace(/\b(ticks|switches|preempted)=\d+/g, '$1=#')
    .replace(/^sys: slept \d+ ms in \d+ ticks/, 'sys: slept # ms in # ticks');
}

export const MEMORY = /^\[kernel\] memory: (\d+) KiB mapped at 0xc0000000, (\d+) pages free$/;

/** How many more pages the other kernel's image occupies than the base's (nm's `end`), which
 *  the page allocator then does not have: an afterburnt image is larger by its padding and
 *  records, by a page or none depending on where its end falls. */
export async function extraImagePages(baseElf: string, otherElf: string): Promise<number> {
  const end = async (elf: string): Promise<number> => {
    const m = /^([0-9a-f]+) \w end$/m.exec((await execa('nm', [elf])).stdout);
    assert.ok(m, `${elf}: nm finds the symbol end`);
    return Math.ceil(parseInt(m![1]!, 16) / 4096);
  };
  return (await end(otherElf)) - (await end(baseElf));
}

/** Compares a run's lines with the native run's, after the documented exceptions; imagePages:
 *  extraImagePages of the two kernels. */
export function sameOutput(base: string[], other: string[], what: string, imagePages = 0): void {
  const mb = base.map((l) => MEMORY.exec(l)).find(Boolean), mo = other.map((l) => MEMORY.exec(l)).find(Boolean);
  assert.ok(mb && mo, `${what}: both print the memory line`);
  const kib = Number(mb![1]) - Number(mo![1]);
  // Each missing 4 KiB is a page fewer, less the page table (one per 4 MiB) it no longer needs.
  assert.is(Number(mb![2]) - Number(mo![2]), kib / 4 - kib / 4096 + imagePages, `${what}: free pages differ exactly by the missing RAM (and image pages)`);
  const norm = (ls: string[]) => ls.filter((l) => !MEMORY.test(l)).map(mask);
  const a = norm(base), b = norm(other);
  assert.is(b[0], a[0], `${what}: first line`);
  assert.is(b[b.length - 1], a[a.length - 1], `${what}: last line`);
  assert.equal([...b].sort(), [...a].sort(), `${what}: the same lines`);
}

export async function siteCount(elf: string): Promise<number> {
  const r = await execa('objdump', ['-h', elf]);
  const m = /\.afterburn\s+([0-9a-f]{8})/.exec(r.stdout);
  assert.ok(m, 'the afterburnt kernel has .afterburn');
  return parseInt(m![1]!, 16) / 8;
}
