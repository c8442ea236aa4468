// One run of a benchmark kernel on v86 (npm `v86`: an x86 emulator compiled to WebAssembly with a
// JIT to WebAssembly), as a child process of scripts/bench-emu.ts or scripts/bench-emu-linux.ts so
// the parent times the whole process. v86 boots SeaBIOS, which starts the multiboot kernel through
// v86's option ROM, or a Linux bzImage with its initramfs and command line. v86 ends the run when
// the kernel writes the debug-exit port 0xf4: it logs the value and throws, and that uncaught
// throw ends this process. Prints one JSON line on stdout: { exitValue, instructions, serial },
// where instructions is v86's own retired count (SeaBIOS included).
// usage: node --import tsx scripts/bench-emu-v86.ts KERNEL BIOS.bin MEM_MIB [INITRD CMDLINE]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { V86 } from 'v86';

const [elfPath, biosPath, memMib, initrdPath, cmdline] = process.argv.slice(2);
if (elfPath === undefined || biosPath === undefined || !(Number(memMib) > 0) || (initrdPath !== undefined && cmdline === undefined)) {
  process.stderr.write('usage: bench-emu-v86.ts KERNEL BIOS.bin MEM_MIB [INITRD CMDLINE]\n');
  process.exit(2);
}

/** A file's bytes as an ArrayBuffer of exactly its length (what v86's buffer images take). */
function arrayBufferOf(path: string): ArrayBuffer {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
}

let serial = '';
let exitValue: number | null = null;
// v86 reports the debug-exit value only through console.log ("Test exited with code 0x..").
const log = console.log;
console.log = (...args: unknown[]): void => {
  const m = /^Test exited with code 0x([0-9a-f]+)/i.exec(String(args[0]));
  if (m) exitValue = parseInt(m[1]!, 16);
  else log(...args);
};

const emulator = new V86({
  wasm_path: createRequire(import.meta.url).resolve('v86/build/v86.wasm'),
  bios: { buffer: arrayBufferOf(biosPath) },
  ...(initrdPath === undefined
    ? { multiboot: { buffer: arrayBufferOf(elfPath) } }
    : { bzimage: { buffer: arrayBufferOf(elfPath) }, initrd: { buffer: arrayBufferOf(initrdPath) }, cmdline }),
  memory_size: Number(memMib) * 2 ** 20,
  autostart: true,
  disable_keyboard: true,
  disable_mouse: true,
  disable_speaker: true,
});
emulator.add_listener('serial0-output-byte', (byte: number) => { serial += String.fromCharCode(byte); });
if (initrdPath !== undefined) {
  // v86 wires the debug-exit port only when it loads a multiboot kernel; for a bzImage this puts
  // the same handler on the port through v86's own I/O table (not its public API: should a v86
  // release move it, this throws rather than leave the run waiting).
  emulator.add_listener('emulator-ready', () => {
    const cpu = (emulator as unknown as { v86: { cpu: { io: { register_write: (port: number, dev: object, w8: (v: number) => void) => void } } } }).v86.cpu;
    cpu.io.register_write(0xf4, cpu, (v: number) => {
      exitValue = v & 0xff;
      throw 'HALT'; // v86's own stop, as its multiboot handler throws
    });
  });
}

const finish = (): void => {
  process.stdout.write(`${JSON.stringify({ exitValue, instructions: emulator.get_instruction_counter(), serial })}\n`);
  process.exit(exitValue === null ? 1 : 0);
};
process.on('uncaughtException', (e) => {
  if (e === 'HALT' as unknown) finish(); // v86's way of stopping at the debug-exit port
  process.stderr.write(`bench-emu-v86: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
