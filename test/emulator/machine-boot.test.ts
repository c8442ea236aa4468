// The multiboot loader against GNU binutils (segment bytes from objcopy, addresses from nm) and
// the Multiboot Specification 0.6.96 (information structure layout, memory fields, modules).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadMultiboot, BootError, MULTIBOOT_HEADER_MAGIC } from '../../emulator/boot.ts';

const dir = mkdtempSync(join(tmpdir(), 'world-boot-test-'));

/** Assembles and links `src` at 1 MiB with `as`/`ld`; returns the ELF and its flat image and symbols. */
function build(name: string, src: string, ldArgs: string[] = ['-N', '-Ttext', '0x100000']) {
  const s = join(dir, `${name}.S`), o = join(dir, `${name}.o`), elf = join(dir, `${name}.elf`), bin = join(dir, `${name}.bin`);
  writeFileSync(s, src);
  execFileSync('as', ['--32', '-o', o, s]);
  execFileSync('ld', ['-m', 'elf_i386', '-z', 'noexecstack', '--no-warn-rwx-segments', ...ldArgs, '-o', elf, o]);
  execFileSync('objcopy', ['-O', 'binary', elf, bin]);
  const syms: Record<string, number> = {};
  for (const line of execFileSync('nm', [elf], { encoding: 'utf8' }).split('\n')) {
    const [addr, , sym] = line.trim().split(/\s+/);
    if (sym) syms[sym] = parseInt(addr!, 16);
  }
  return { elf: readFileSync(elf), flat: readFileSync(bin), syms };
}

const header = (flags: number) => `
  .section .text
  .globl _start
  .align 4
mbh:
  .long 0x1badb002
  .long ${flags}
  .long -(0x1badb002 + ${flags})
`;

const kernel = build('k', `${header(3)}
_start:
  movl $0x12345678, %eax
  hlt
  .section .data
  .globl message
message: .asciz "data bytes"
  .section .bss
  .globl bss_start
bss_start: .skip 8192
  .globl bss_end
bss_end:
`);

const u32 = (ram: Uint8Array, a: number) => new DataView(ram.buffer).getUint32(a, true);
const cstr = (ram: Uint8Array, a: number) => Buffer.from(ram.subarray(a, ram.indexOf(0, a))).toString();

test('ELF segments land at their physical addresses with the bytes objcopy extracts; bss is zero', () => {
  const ram = new Uint8Array(16 << 20).fill(0xcc);
  const r = loadMultiboot(ram, kernel.elf, { kernelName: 'k.elf' });
  assert.is(r.entry, kernel.syms._start);
  assert.equal(Buffer.from(ram.subarray(0x100000, 0x100000 + kernel.flat.length)), kernel.flat);
  assert.is(cstr(ram, kernel.syms.message!), 'data bytes');
  assert.ok(ram.subarray(kernel.syms.bss_start!, kernel.syms.bss_end!).every((b) => b === 0));
  assert.is(r.kernel[0], 0x100000);
  // The end is the PT_LOAD segment's p_paddr + p_memsz as readelf reports it.
  const load = execFileSync('readelf', ['-lW', join(dir, 'k.elf')], { encoding: 'utf8' }).split('\n').find((l) => /^\s*LOAD/.test(l))!.trim().split(/\s+/);
  assert.is(r.kernel[1], parseInt(load[3]!, 16) + parseInt(load[5]!, 16));
});

test('boot information: memory fields, command line, loader name, memory map (spec 0.6.96 layout)', () => {
  const ram = new Uint8Array(32 << 20);
  const r = loadMultiboot(ram, kernel.elf, { kernelName: 'k.elf', append: 'console=ttyS0 quiet' });
  const mbi = r.infoAddr;
  const flags = u32(ram, mbi);
  for (const bit of [0, 2, 3, 6, 9]) assert.ok(flags & (1 << bit), `flag bit ${bit}`);
  assert.is(u32(ram, mbi + 4), 639, 'mem_lower: KiB below 640K less the EBDA');
  assert.is(u32(ram, mbi + 8), (32 << 10) - 1024, 'mem_upper: KiB from 1 MiB');
  assert.is(cstr(ram, u32(ram, mbi + 16)), 'k.elf console=ttyS0 quiet', 'QEMU passes "<kernel> <append>"');
  assert.is(cstr(ram, u32(ram, mbi + 64)), 'world');
  const mmapLen = u32(ram, mbi + 44), mmapAddr = u32(ram, mbi + 48);
  const entries: [number, number, number][] = [];
  for (let a = mmapAddr; a < mmapAddr + mmapLen; a += u32(ram, a) + 4) {
    entries.push([u32(ram, a + 4), u32(ram, a + 12), u32(ram, a + 20)]);
  }
  const available = entries.filter((e) => e[2] === 1);
  assert.equal(available, [[0, 0x9fc00, 1], [0x100000, (32 << 20) - 0x100000, 1]]);
  assert.ok(r.infoAddr >= r.kernel[1], 'info after the kernel');
  assert.is(r.infoAddr % 4096, 0);
});

test('modules are page-aligned after the kernel, with their strings; the info block overlaps nothing', () => {
  const ram = new Uint8Array(16 << 20);
  const a = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
  const b = new Uint8Array(10).fill(0x5a);
  const r = loadMultiboot(ram, kernel.elf, {
    kernelName: 'k.elf',
    modules: [{ data: a, cmdline: 'wedge.elf backend=xen' }, { data: b, cmdline: 'second' }],
  });
  const mbi = r.infoAddr;
  assert.is(u32(ram, mbi + 20), 2, 'mods_count');
  const mods = u32(ram, mbi + 24);
  const [s0, e0, str0] = [u32(ram, mods), u32(ram, mods + 4), u32(ram, mods + 8)];
  const [s1, e1, str1] = [u32(ram, mods + 16), u32(ram, mods + 20), u32(ram, mods + 24)];
  assert.is(s0 % 4096, 0);
  assert.is(s1 % 4096, 0);
  assert.ok(s0 >= r.kernel[1]);
  assert.is(e0 - s0, a.length);
  assert.is(e1 - s1, b.length);
  assert.equal(ram.subarray(s0, e0), a);
  assert.equal(ram.subarray(s1, e1), b);
  assert.is(cstr(ram, str0), 'wedge.elf backend=xen');
  assert.is(cstr(ram, str1), 'second');
  assert.ok(r.info[0] >= e1, 'info block after the last module');
});

test('a virtual entry point of a higher-half kernel is translated to its load address', () => {
  const hh = build('hh', `${header(3)}
_start: hlt
`, ['-Ttext', '0xc0100000', '--section-start=.text=0xc0100000', '-e', '_start']);
  // Re-link with AT() so the load address differs from the link address.
  const script = join(dir, 'hh.ld');
  writeFileSync(script, 'SECTIONS { . = 0xc0100000; .text : AT(0x100000) { *(.text) } }\nENTRY(_start)\n');
  execFileSync('ld', ['-m', 'elf_i386', '-z', 'noexecstack', '-T', script, '-o', join(dir, 'hh2.elf'), join(dir, 'hh.o')]);
  const elf = readFileSync(join(dir, 'hh2.elf'));
  const ram = new Uint8Array(16 << 20);
  const r = loadMultiboot(ram, elf, { kernelName: 'hh' });
  assert.is(r.entry, 0x100000 + (hh.syms._start! - 0xc0100000));
  assert.is(ram[r.entry], 0xf4, 'hlt at the physical entry');
});

test('a.out kludge (header flag 16) loads at the header addresses', () => {
  const ram = new Uint8Array(16 << 20);
  const img = new Uint8Array(64);
  const dv = new DataView(img.buffer);
  const flags = 0x10003;
  dv.setUint32(0, MULTIBOOT_HEADER_MAGIC, true);
  dv.setUint32(4, flags, true);
  dv.setUint32(8, (-(MULTIBOOT_HEADER_MAGIC + flags)) >>> 0, true);
  dv.setUint32(12, 0x200000, true); // header_addr
  dv.setUint32(16, 0x200000, true); // load_addr
  dv.setUint32(20, 0x200040, true); // load_end_addr
  dv.setUint32(24, 0x201000, true); // bss_end_addr
  dv.setUint32(28, 0x200030, true); // entry
  img[0x30] = 0xf4;
  const r = loadMultiboot(ram, img, { kernelName: 'raw' });
  assert.is(r.entry, 0x200030);
  assert.is(ram[0x200030], 0xf4);
  assert.equal(r.kernel, [0x200000, 0x201000]);
});

test('errors name the file and the problem', () => {
  const ram = new Uint8Array(4 << 20);
  assert.throws(() => loadMultiboot(ram, new TextEncoder().encode('hello'), { kernelName: 'x.txt' }), (e: Error) => e instanceof BootError && /x\.txt: not an ELF/.test(e.message));
  const plain = build('plain', '.globl _start\n_start: hlt\n');
  assert.throws(() => loadMultiboot(ram, plain.elf, { kernelName: 'p.elf' }), /p\.elf: not a multiboot kernel/);
  const bad = Buffer.from(kernel.elf);
  const off = bad.indexOf(Buffer.from([0x02, 0xb0, 0xad, 0x1b]));
  bad.writeUInt32LE(0, off + 8); // break the checksum
  assert.throws(() => loadMultiboot(ram, bad, { kernelName: 'bad' }), /not a multiboot kernel/);
  const big = build('big', `${header(3)}\n_start: hlt\n`, ['-N', '-Ttext', '0x800000']);
  assert.throws(() => loadMultiboot(new Uint8Array(4 << 20), big.elf, { kernelName: 'big' }), /beyond RAM/);
  const video = build('video', `${header(0x8)}\n_start: hlt\n`);
  assert.throws(() => loadMultiboot(ram, video.elf, { kernelName: 'v' }), /requires features this loader lacks \(flags 0x8\)/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
