// The Linux/x86 32-bit boot protocol: what a boot loader does to start a bzImage in protected mode
// (the kernel's Documentation/x86/boot.rst, "32-bit boot protocol"; QEMU's -kernel does the same
// through a real-mode stub). The protected-mode part of the image is loaded at code32_start, a
// zeroed zero page (struct boot_params) gets the setup header copied from the image, an e820
// memory map, the command line and the initrd's place, and the CPU enters at code32_start with
// ESI pointing at the zero page.
//
// Why bzImage and not vmlinux: bzImage is what users, distributions and `qemu -kernel` boot, it is
// the one artefact both the native and the afterburnt build produce through Linux's own unmodified
// build (the compressed boot wrapper included), and the differential test boots the same file on
// QEMU. The cost is the decompressor's run at every boot (an LZ4 kernel keeps it short).
import { memoryMap, BootError, type BootResult } from './boot.ts';

/** "HdrS" at 0x202 marks a kernel with a setup header (boot protocol 2.00 and later). */
export const SETUP_HEADER_MAGIC = 0x53726448;

// Setup header fields (offsets in the image and in the zero page; boot.rst "The real-mode kernel header").
const HDR_SETUP_SECTS = 0x1f1;
const HDR_START = 0x1f1;
const HDR_JUMP = 0x200; // byte 0x201 is the length of the header beyond 0x202
const HDR_MAGIC = 0x202;
const HDR_VERSION = 0x206;
const HDR_TYPE_OF_LOADER = 0x210;
const HDR_LOADFLAGS = 0x211;
const HDR_CODE32_START = 0x214;
const HDR_RAMDISK_IMAGE = 0x218;
const HDR_RAMDISK_SIZE = 0x21c;
const HDR_CMD_LINE_PTR = 0x228;
const HDR_INITRD_ADDR_MAX = 0x22c;
const HDR_CMDLINE_SIZE = 0x238;
const HDR_HARDWARE_SUBARCH = 0x23c;
const HDR_PREF_ADDRESS = 0x258;
const HDR_INIT_SIZE = 0x260;

// Zero-page fields outside the setup header (arch/x86/include/uapi/asm/bootparam.h).
const BP_ALT_MEM_K = 0x1e0;
const BP_E820_ENTRIES = 0x1e8;
const BP_SENTINEL = 0x1ef;
const BP_E820_TABLE = 0x2d0;
const BP_SIZE = 4096;
const E820_ENTRY_SIZE = 20;
const E820_MAX_ENTRIES_ZEROPAGE = 128;

const LOADFLAGS_LOADED_HIGH = 0x01; // the protected-mode code is loaded at 0x100000 (a bzImage)
/** type_of_loader 0xff: a loader without an assigned ID, which the kernel accepts. */
const LOADER_UNDEFINED = 0xff;
/** Oldest protocol this loader speaks: 2.06 gives cmdline_size and initrd_addr_max as used here. */
const MIN_PROTOCOL = 0x206;

// Where the loader puts its own data: below the EBDA, where QEMU's -kernel also puts the real-mode
// part and the command line; the kernel finds both through pointers and copies them early.
const ZERO_PAGE_ADDR = 0x10000;
const CMDLINE_ADDR = 0x20000;
const PAGE = 4096;
const HIGH_MEMORY = 0x100000;

export interface LinuxBootOptions {
  /** Name used in messages. */
  kernelName: string;
  /** The kernel command line (as QEMU's -append: the image name is not part of it). */
  cmdline?: string;
  /** An initramfs (cpio, optionally compressed) placed at the top of RAM. */
  initrd?: Uint8Array;
}

export interface LinuxBootResult extends BootResult {
  /** Physical address of the zero page (ESI at entry). */
  bootParams: number;
}

/** True when `image` has a Linux setup header (a bzImage). */
export function isLinuxBzImage(image: Uint8Array): boolean {
  return image.length >= HDR_MAGIC + 4 && view(image).getUint32(HDR_MAGIC, true) === SETUP_HEADER_MAGIC;
}

/**
 * True when `image` is a Linux vmlinux: an ELF whose notes include one of owner "Linux" (every
 * vmlinux has them, include/linux/elfnote.h; a Multiboot kernel has none). The wedge tells a
 * Linux guest the same way (guests/wedge/common/linuxboot.c).
 */
export function isLinuxVmlinux(image: Uint8Array): boolean {
  if (image.length < 52 || image[0] !== 0x7f || image[1] !== 0x45 || image[2] !== 0x4c || image[3] !== 0x46 || image[4] !== 1) return false;
  const dv = view(image);
  const phoff = dv.getUint32(28, true), phentsize = dv.getUint16(42, true), phnum = dv.getUint16(44, true);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (phentsize < 32 || ph + 32 > image.length || dv.getUint32(ph, true) !== 4) continue;
    const end = Math.min(image.length, dv.getUint32(ph + 4, true) + dv.getUint32(ph + 16, true));
    for (let off = dv.getUint32(ph + 4, true); off + 12 <= end;) {
      const namesz = dv.getUint32(off, true), descsz = dv.getUint32(off + 4, true);
      if (namesz === 6 && new TextDecoder().decode(image.subarray(off + 12, off + 17)) === 'Linux') return true;
      off += 12 + Math.ceil(namesz / 4) * 4 + Math.ceil(descsz / 4) * 4;
    }
  }
  return false;
}

/** Loads a bzImage into `ram` with its zero page, command line and initrd. Throws BootError on bad input. */
export function loadLinux(ram: Uint8Array, image: Uint8Array, opts: LinuxBootOptions): LinuxBootResult {
  const name = opts.kernelName;
  if (!isLinuxBzImage(image)) throw new BootError(`${name}: not a Linux bzImage (no "HdrS" setup header at 0x202)`);
  const img = view(image);
  const version = img.getUint16(HDR_VERSION, true);
  if (version < MIN_PROTOCOL) {
    throw new BootError(`${name}: boot protocol ${version >> 8}.${(version & 0xff).toString().padStart(2, '0')} is older than 2.06, which this loader needs`);
  }
  const loadflags = image[HDR_LOADFLAGS]!;
  if (!(loadflags & LOADFLAGS_LOADED_HIGH)) throw new BootError(`${name}: a zImage (loaded low) is not supported; build a bzImage`);
  const setupSects = image[HDR_SETUP_SECTS]! === 0 ? 4 : image[HDR_SETUP_SECTS]!;
  const pmOffset = (setupSects + 1) * 512;
  if (pmOffset >= image.length) throw new BootError(`${name}: setup_sects ${setupSects} points past the end of the file`);
  const code32Start = img.getUint32(HDR_CODE32_START, true);
  const pmSize = image.length - pmOffset;
  const initSize = img.getUint32(HDR_INIT_SIZE, true);
  if (code32Start + pmSize > ram.length) throw new BootError(`${name}: the kernel does not fit in RAM at 0x${code32Start.toString(16)} (RAM is ${ram.length} bytes; try a larger --mem)`);
  ram.set(image.subarray(pmOffset), code32Start);

  // The zero page: zeroed, then the setup header as the image has it (0x1f1 to 0x202 + byte[0x201]).
  const bp = ZERO_PAGE_ADDR;
  ram.fill(0, bp, bp + BP_SIZE);
  const hdrEnd = HDR_MAGIC + image[HDR_JUMP + 1]!;
  ram.set(image.subarray(HDR_START, Math.min(hdrEnd, image.length)), bp + HDR_START);
  const zp = new DataView(ram.buffer, ram.byteOffset + bp, BP_SIZE);
  zp.setUint8(BP_SENTINEL, 0);
  zp.setUint32(HDR_HARDWARE_SUBARCH, 0, true);
  zp.setUint8(HDR_TYPE_OF_LOADER, LOADER_UNDEFINED);

  // The command line, cut to what the kernel accepts.
  const cmdlineMax = img.getUint32(HDR_CMDLINE_SIZE, true);
  const cmdline = new TextEncoder().encode(opts.cmdline ?? '');
  if (cmdline.length > cmdlineMax) throw new BootError(`${name}: the command line is ${cmdline.length} bytes; the kernel takes at most ${cmdlineMax}`);
  ram.set(cmdline, CMDLINE_ADDR);
  ram[CMDLINE_ADDR + cmdline.length] = 0;
  zp.setUint32(HDR_CMD_LINE_PTR, CMDLINE_ADDR, true);

  // The memory map a PC BIOS reports through int 15h e820, and the same size as alt_mem_k.
  const map = memoryMap(ram.length);
  if (map.length > E820_MAX_ENTRIES_ZEROPAGE) throw new Error('unreachable: e820 map too long');
  zp.setUint8(BP_E820_ENTRIES, map.length);
  map.forEach(([base, length, type], i) => {
    const e = BP_E820_TABLE + E820_ENTRY_SIZE * i;
    zp.setUint32(e, base, true);
    zp.setUint32(e + 4, 0, true);
    zp.setUint32(e + 8, length, true);
    zp.setUint32(e + 12, 0, true);
    zp.setUint32(e + 16, type, true);
  });
  zp.setUint32(BP_ALT_MEM_K, (ram.length - HIGH_MEMORY) >> 10, true);

  // The initrd at the top of RAM (page-aligned, below initrd_addr_max), as QEMU places it; it must
  // stay clear of where the decompressor puts the kernel (its load address plus init_size).
  const modules: [number, number][] = [];
  if (opts.initrd && opts.initrd.length > 0) {
    const addrMax = img.getUint32(HDR_INITRD_ADDR_MAX, true);
    const top = Math.min(ram.length, addrMax + 1);
    const start = Math.floor((top - opts.initrd.length) / PAGE) * PAGE;
    const kernelEnd = Math.max(code32Start + pmSize, img.getUint32(HDR_PREF_ADDRESS, true) + initSize);
    if (start < kernelEnd) {
      throw new BootError(`${name}: the ${opts.initrd.length}-byte initrd does not fit between the kernel (up to 0x${kernelEnd.toString(16)}) and the top of RAM; try a larger --mem`);
    }
    ram.set(opts.initrd, start);
    zp.setUint32(HDR_RAMDISK_IMAGE, start, true);
    zp.setUint32(HDR_RAMDISK_SIZE, opts.initrd.length, true);
    modules.push([start, start + opts.initrd.length]);
  }
  return {
    entry: code32Start,
    infoAddr: bp,
    bootParams: bp,
    kernel: [code32Start, code32Start + pmSize],
    modules,
    info: [bp, bp + BP_SIZE],
  };
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
