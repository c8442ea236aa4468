// The decoder against GNU binutils: instruction lengths and memory/immediate operands of a table of
// encodings assembled by `as`, and lengths over a deterministic stream of random bytes
// disassembled by `objdump`. objdump's output, produced in this test, is the oracle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, type Insn } from '../../emulator/cpu/decode.ts';
import { ud } from '../../emulator/cpu/execute-system.ts';
import { x87 } from '../../emulator/cpu/execute-system.ts';
import { unitCosts } from './cpu-harness.ts';

interface Disasm { offset: number; bytes: number[]; text: string }

/** objdump -d of a flat 32-bit binary: one entry per instruction (continuation lines folded in). */
function objdump(bin: Uint8Array, code16 = false): Disasm[] {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-decode-'));
  try {
    writeFileSync(join(dir, 'a.bin'), bin);
    const out = execFileSync('objdump', ['-D', '-b', 'binary', '-m', code16 ? 'i8086' : 'i386', '--insn-width=16', join(dir, 'a.bin')], { maxBuffer: 1 << 26 }).toString();
    const list: Disasm[] = [];
    for (const line of out.split('\n')) {
      const m = /^\s+([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$/.exec(line);
      if (!m) continue;
      list.push({ offset: parseInt(m[1]!, 16), bytes: m[2]!.trim().split(' ').map((b) => parseInt(b, 16)), text: m[3]!.trim() });
    }
    return list;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function assembleFlat(source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-decode-'));
  try {
    writeFileSync(join(dir, 'a.s'), source);
    execFileSync('as', ['--32', '-o', join(dir, 'a.o'), join(dir, 'a.s')]);
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'a.o'), join(dir, 'a.bin')]);
    return new Uint8Array(readFileSync(join(dir, 'a.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function decodeAt(bin: Uint8Array, offset: number, code32 = true): Insn {
  return decode({ byte: (n) => bin[offset + n] ?? 0 }, code32, unitCosts(), ud);
}

const REGS = ['%eax', '%ecx', '%edx', '%ebx', '%esp', '%ebp', '%esi', '%edi'];

/** Parses an AT&T memory operand "disp(base,index,scale)" from objdump text. */
function memOperand(text: string): { disp: number; base: number; index: number; scale: number } | null {
  const m = /(?:%[cdefgs]s:)?(-?0x[0-9a-f]+|-?\d+)?\((%e[a-z]{2})?(?:,(%e[a-z]{2}|%eiz),?(\d)?)?\)/.exec(text);
  if (!m) return null;
  const disp = m[1] ? Number(m[1].startsWith('-') ? -parseInt(m[1].slice(1), 16) : parseInt(m[1], 16)) | 0 : 0;
  const base = m[2] ? REGS.indexOf(m[2]) : -1;
  const index = m[3] && m[3] !== '%eiz' ? REGS.indexOf(m[3]) : -1;
  const scale = m[4] ? Math.log2(Number(m[4])) : 0;
  return { disp, base, index, scale };
}

const ENCODINGS = `
  .code32
  add %ecx, %eax
  add 0x10(%ebx,%esi,4), %edx
  addw $0x1234, 0x8(%ebp)
  addb $7, (%eax)
  lock addl $-3, 0x12345678
  sub -0x80(%esp), %edi
  cmpl $0x7fffffff, (%esp,%eax,8)
  xor %al, %bh
  movl $0xdeadbeef, 0x4(%edi)
  movw %ax, %fs:0x100
  movb 0x11223344, %al
  movl %eax, 0x55667788
  lea 0x0(,%ecx,2), %eax
  lea 0x1(%eax,%eax,1), %edx
  imul $0x10, %ecx, %edx
  imul $0x12345, 0x4(%esi), %edi
  imul %ebx, %ecx
  shl $3, %eax
  sarw %cl, 0x20(%edx)
  rol %bl
  shld $4, %eax, 0x8(%ecx)
  shrd %cl, %edx, %eax
  bt %eax, (%edx)
  btsl $31, 0x4(%ecx)
  bsf %eax, %edx
  bsr 0x10(%ebp), %cx
  bswap %esi
  cmovne 0x8(%esp), %eax
  sete %al
  setg 0x3(%ebx)
  movzbl (%esi), %eax
  movswl -0x2(%ebp), %ecx
  xadd %eax, (%ecx)
  lock cmpxchg %edx, 0x10(%esi)
  lock cmpxchg8b (%edi)
  push $0x12345678
  push $-2
  pushw $0x1234
  pop 0x4(%eax)
  call *0x8(%ebx)
  jmp *%eax
  ljmp *(%eax)
  lcall $0x8, $0x12345678
  ljmp $0x10, $0x100
  ret $8
  lret
  enter $0x10, $0
  leave
  int $0x80
  int3
  iret
  in $0x60, %al
  out %eax, (%dx)
  rep movsl
  repne scasb
  rep stosw
  insl (%dx), %es:(%edi)
  outsb %ds:(%esi), (%dx)
  lgdtl 0x1000
  lidtl (%eax)
  sgdtl 0x8(%esp)
  lldt %ax
  ltr 0x2(%ebx)
  str %eax
  mov %cr3, %eax
  mov %eax, %cr0
  mov %db7, %edx
  invlpg (%eax,%ebx,2)
  clts
  lmsw %ax
  smsw 0x4(%ecx)
  cpuid
  rdtsc
  rdmsr
  wrmsr
  lar %ax, %ecx
  lsl 0x10(%edx), %eax
  verr %ax
  verw (%esi)
  arpl %ax, %bx
  mov %ds, %eax
  mov 0x8(%esp), %ss
  lds 0x4(%eax), %esi
  lss (%ecx), %esp
  lfs 0x8(%ebx), %edi
  nopw 0x0(%eax,%eax,1)
  nopl 0x0(%eax)
  ud2
  cbtw
  cltd
  xlat
  aam $0xa
  aad $0x7
  loop .
  jecxz .
  jne . + 0x200
  jl .
  movsbw 0x1(%eax), %dx
  testl $0x100, 0x4(%esp)
  testb $1, %ah
  notl (%eax)
  negw %dx
  mull 0x8(%ebp)
  idivb (%ecx)
  movl (%bx,%si), %eax
  addr16 movl 0x10(%bp), %eax
  `;

test('lengths, memory operands and immediates of assembled encodings match objdump', () => {
  const bin = assembleFlat(ENCODINGS);
  const list = objdump(bin);
  assert.ok(list.length > 100, `objdump listed ${list.length} instructions`);
  for (const d of list) {
    const i = decodeAt(bin, d.offset);
    assert.is(i.len, d.bytes.length, `length of ${d.text} (${d.bytes.map((b) => b.toString(16)).join(' ')})`);
    if (!d.text.startsWith("ud2")) assert.is.not(i.exec, ud, `${d.text} decodes as #UD`);
    const mem = i.as32 ? memOperand(d.text) : null;
    if (mem && !/^(lea|nop)/.test(d.text) && i.mod !== 3) {
      assert.is(i.disp | 0, mem.disp, `displacement of ${d.text}`);
      assert.is(i.base, mem.base, `base of ${d.text}`);
      assert.is(i.index, mem.index, `index of ${d.text}`);
      assert.is(i.scale, mem.scale, `scale of ${d.text}`);
    }
    const imm = /^\S+\s+\$(-?0x[0-9a-f]+),/.exec(d.text);
    if (imm && !/^(enter|lcall|ljmp)/.test(d.text)) {
      const want = parseInt(imm[1]!.replace('-', ''), 16) * (imm[1]!.startsWith('-') ? -1 : 1);
      const size = i.os;
      const m = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
      assert.is((i.imm & m) >>> 0, (want & m) >>> 0, `immediate of ${d.text}`);
    }
  }
});

/** xorshift32 with a fixed seed: deterministic bytes. */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let k = 0; k < n; k++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[k] = s & 0xff;
  }
  return out;
}

test('lengths of instructions in random bytes match objdump wherever the decoder accepts them', () => {
  const bin = randomBytes(64 * 1024, 0x2468ace1);
  const list = objdump(bin);
  let compared = 0;
  for (let k = 0; k < list.length - 1; k++) {
    const d = list[k]!;
    if (d.text.includes('(bad)') || d.bytes.length > 15) continue;
    if (d.bytes[0] === 0x9b && d.bytes.length > 1) continue; // objdump folds fwait into the next x87 op
    let i: Insn;
    try {
      i = decodeAt(bin, d.offset);
    } catch {
      continue; // #GP for an over-long instruction: objdump has no such notion
    }
    if (i.exec === ud || i.exec === x87) continue; // #UD / #NM: the length is never used
    // objdump's length runs to the next listed instruction.
    assert.is(i.len, list[k + 1]!.offset - d.offset, `length at 0x${d.offset.toString(16)}: ${d.text} (${d.bytes.map((b) => b.toString(16)).join(' ')})`);
    compared++;
  }
  assert.ok(compared > 5000, `compared ${compared} instructions`);
});

test('16-bit code segments decode with 16-bit operand and address sizes', () => {
  const bin = assembleFlat('.code16\n mov 0x10(%bx,%si), %ax\n add $0x1234, %cx\n mov %eax, (%di)\n addr32 mov 0x4(%eax), %dx\n jmp .+0x300\n');
  const list = objdump(bin, true);
  for (const d of list) {
    const i = decodeAt(bin, d.offset, false);
    assert.is(i.len, d.bytes.length, `length of ${d.text}`);
  }
  const first = decodeAt(bin, 0, false);
  assert.is(first.os, 2);
  assert.is(first.as32, false);
  assert.is(first.base, 3); // bx
  assert.is(first.index, 6); // si
  assert.is(first.disp, 0x10);
});

test.run();
