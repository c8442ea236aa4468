// Runs the same assembly snippet natively on this x86-64 host and on the emulator, over a table of
// input register/flag values, and returns both result tables. The host CPU is the oracle for
// results and defined flags. The host kernel may lack 32-bit user-mode support, so the native side
// assembles the snippet as 64-bit code: snippets must use only 32/16/8-bit registers and no stack,
// where the two modes compute identical results and flags. The emulator side is linked flat with
// ld -N at 0x100000.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineWith } from './cpu-harness.ts';

/** One input: eax, ecx, edx, ebx, eflags (arithmetic bits), ebp, esi, edi. */
export type RegSet = [number, number, number, number, number, number, number, number];
/** One output: eax, ecx, edx, ebx, 0 (esp slot), ebp, esi, edi, eflags, then `memWords` words of `mem`. */
export type Result = number[];

const OUT_WORDS = 9;

/** The drivers' data: the input rows (eight registers a row), the count, the index, the saved
 *  stack pointer (`savedSize` .long or .quad), and room for every row's outputs and memory words. */
function dataSection(inputs: RegSet[], memWords: number, savedSize: 'long' | 'quad'): string {
  const rows = inputs.map((r) => `  .long ${r.map((v) => `0x${(v >>> 0).toString(16)}`).join(', ')}`).join('\n');
  return `
  .data
  .globl outputs, mem, count
count: .long ${inputs.length}
idx: .long 0
saved: .${savedSize} 0
  .p2align 4
inputs:
${rows}
  .p2align 4
outputs: .space ${inputs.length * (OUT_WORDS + memWords) * 4}
  .p2align 4
mem: .space ${Math.max(memWords, 1) * 4 + 64}`;
}

/** What differs between the 32-bit driver and the native (64-bit) one: the pointer registers
 *  addressing the rows, and how eflags is loaded from a row and stored with ebp's output. */
interface Width { bp: string; sp: string; loadFlags: string; storeEbpAndFlags: string }

const WIDTH32: Width = {
  bp: '%ebp', sp: '%esp',
  loadFlags: '  pushl 16(%ebp)\n  popf',
  storeEbpAndFlags: '  popl 20(%ebp)\n  popl 32(%ebp)',
};
const WIDTH64: Width = {
  bp: '%rbp', sp: '%rsp',
  loadFlags: '  movl 16(%rbp), %r8d\n  push %r8\n  popfq',
  storeEbpAndFlags: '  pop %r8\n  mov %r8d, 20(%rbp)\n  pop %r8\n  mov %r8d, 32(%rbp)',
};

/** The loop over the rows: load a row's registers and flags, run `snippet`, store the registers,
 *  flags and `memWords` words of mem to the row's outputs; label 9 follows it. */
function rowLoop(snippet: string, memWords: number, w: Width): string {
  const { bp, sp } = w;
  return `1:
  mov idx, %eax
  cmp count, %eax
  jae 9f
  mov %eax, %ebp
  shl $5, %ebp
  add $inputs, %ebp
  mov 0(${bp}), %eax
  mov 4(${bp}), %ecx
  mov 8(${bp}), %edx
  mov 12(${bp}), %ebx
${w.loadFlags}
  mov 24(${bp}), %esi
  mov 28(${bp}), %edi
  mov 20(${bp}), %ebp
  ${snippet}
  ${bp === '%rbp' ? 'pushfq' : 'pushf'}
  push ${bp}
  mov idx, %ebp
  imul $${(OUT_WORDS + memWords) * 4}, %ebp, %ebp
  add $outputs, %ebp
  mov %eax, 0(${bp})
  mov %ecx, 4(${bp})
  mov %edx, 8(${bp})
  mov %ebx, 12(${bp})
  mov %esi, 24(${bp})
  mov %edi, 28(${bp})
${w.storeEbpAndFlags}
  movl $0, 16(${bp})
  mov saved, ${sp}
${Array.from({ length: memWords }, (_, k) => `  mov mem+${k * 4}, %eax\n  mov %eax, ${36 + k * 4}(${bp})`).join('\n')}
  incl idx
  jmp 1b
9:
  mov saved, ${sp}`;
}

function driver(snippet: string, inputs: RegSet[], memWords: number): string {
  return `${dataSection(inputs, memWords, 'long')}
  .text
  .globl run_all
run_all:
  push %ebp; push %ebx; push %esi; push %edi
  mov %esp, saved
${rowLoop(snippet, memWords, WIDTH32)}
  pop %edi; pop %esi; pop %ebx; pop %ebp
  ret
`;
}

function nativeDriver(snippet: string, inputs: RegSet[], memWords: number): string {
  return `${dataSection(inputs, memWords, 'quad')}
  .text
  .globl run_all
run_all:
  push %rbp; push %rbx; push %r12; push %r13; push %r14; push %r15
  mov %rsp, saved
${rowLoop(snippet, memWords, WIDTH64)}
  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbx; pop %rbp
  ret
  .section .note.GNU-stack,"",@progbits
`;
}

const MAIN_C = `
#include <stdio.h>
extern unsigned int outputs[], count;
void run_all(void);
int main(void) {
  run_all();
  unsigned int n = count * WORDS;
  fwrite(outputs, 4, n, stdout);
  return 0;
}
`;

function parse(buf: Uint8Array, n: number, words: number): Result[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Result[] = [];
  for (let k = 0; k < n; k++) {
    const row: number[] = [];
    for (let w = 0; w < words; w++) row.push(dv.getUint32((k * words + w) * 4, true));
    out.push(row);
  }
  return out;
}

/** Runs snippet on the host CPU and on the emulator; returns [native, emulated] result tables. */
export function runBoth(snippet: string, inputs: RegSet[], memWords = 0): { native: Result[]; emulated: Result[]; shutdown: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-native-'));
  const words = OUT_WORDS + memWords;
  try {
    writeFileSync(join(dir, 's.S'), driver(snippet, inputs, memWords));
    writeFileSync(join(dir, 'n.S'), nativeDriver(snippet, inputs, memWords));
    writeFileSync(join(dir, 'main.c'), MAIN_C.replace('WORDS', String(words)));
    execFileSync('gcc', ['-O1', '-no-pie', '-o', join(dir, 'native'), join(dir, 'main.c'), join(dir, 'n.S')]);
    const native = parse(new Uint8Array(execFileSync(join(dir, 'native'), { maxBuffer: 1 << 26 })), inputs.length, words);

    writeFileSync(join(dir, 'start.S'), '.text\n.globl _start\n_start:\n  call run_all\n  hlt\n');
    execFileSync('as', ['--32', '-o', join(dir, 'start.o'), join(dir, 'start.S')]);
    execFileSync('as', ['--32', '-o', join(dir, 's.o'), join(dir, 's.S')]);
    execFileSync('ld', ['-m', 'elf_i386', '-N', '-Ttext', '0x100000', '-e', '_start', '-o', join(dir, 'emu.elf'), join(dir, 'start.o'), join(dir, 's.o')]);
    execFileSync('objcopy', ['-O', 'binary', join(dir, 'emu.elf'), join(dir, 'emu.bin')]);
    const syms = execFileSync('nm', [join(dir, 'emu.elf')]).toString();
    const outAddr = parseInt(/^([0-9a-f]+) \w outputs$/m.exec(syms)![1]!, 16);
    const { cpu, bus } = machineWith(new Uint8Array(readFileSync(join(dir, 'emu.bin'))));
    const stop = cpu.run(1e9, 50_000_000);
    const emulated = parse(bus.ram.subarray(outAddr, outAddr + inputs.length * words * 4), inputs.length, words);
    return { native, emulated, shutdown: stop === 'halt' ? '' : `${stop}: ${cpu.shutdownReason}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
