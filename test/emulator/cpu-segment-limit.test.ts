// Data segments with base 0 and a limit below 4 GiB (as a Xen guest's segments end below the
// hypervisor hole): every access within the limit goes through, the first one beyond raises #GP
// (or #SS for the stack), with the registers as the manual defines them for a faulting element of
// a rep string instruction (the elements before it done, ESI/EDI/ECX pointing at it). The expected
// state is computed from the limit and the manual's rule, not from a previous run. QEMU's TCG does
// not check data segment limits (test/emulator-kernels/README.md), so it cannot be the oracle here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ES, CS, DS, SS } from '../../emulator/cpu/segments.ts';
import { assemble, machineWith } from './cpu-harness.ts';

/** Present, DPL 0, writable data, accessed, 32-bit, page-granular: the access rights of a flat data segment. */
const DATA_AR = 0xc09300;
/** The same for a readable code segment. */
const CODE_AR = 0xc09b00;
const EAX = 0, ECX = 1, EDX = 2, ESP = 4, ESI = 6, EDI = 7;

interface Stop { vector: number; code: number | undefined; eip: number }

/** Runs `src` with segment `seg` based at 0 and ending at `limit`; returns the first fault (or null at hlt). */
function runLimited(src: string, seg: number, limit: number, setup: (r: Int32Array | Uint32Array) => void = () => {}) {
  const { cpu, bus } = machineWith(assemble(src));
  cpu.setSegCache(seg, 0x10, 0, limit, DATA_AR, true);
  setup(cpu.r);
  let stop: Stop | null = null;
  cpu.onTrap = (vector, code) => {
    stop = { vector, code, eip: cpu.eip >>> 0 };
    cpu.halted = true;
    return true;
  };
  cpu.run(Infinity, 10_000_000);
  return { cpu, bus, stop: stop as Stop | null };
}

function filled(ram: Uint8Array, from: number, to: number, word: number): boolean {
  const dv = new DataView(ram.buffer, ram.byteOffset);
  for (let a = from; a < to; a += 4) if (dv.getUint32(a, true) !== word) return false;
  return true;
}

for (const limit of [0x300fff, 0x300ffd, 0x3007ff]) {
  test(`rep stosl into ES ending at ${limit.toString(16)}: the elements within are stored, #GP(0) at the first beyond`, () => {
    const n = 0x800;
    const { cpu, bus, stop } = runLimited(`mov $${n}, %ecx\nmov $0x300000, %edi\nmov $0x11223344, %eax\ncld\nrep stosl\nhlt`, ES, limit);
    // The element at EDI faults when its last byte lies beyond the limit.
    const within = Math.floor((limit - 0x300000 + 1) / 4);
    assert.ok(stop, 'a fault');
    assert.equal([stop!.vector, stop!.code], [13, 0]);
    assert.equal([bus.ram[stop!.eip], bus.ram[stop!.eip + 1]], [0xf3, 0xab], 'reported at the rep stosl');
    assert.is(cpu.r[EDI]! >>> 0, 0x300000 + 4 * within);
    assert.is(cpu.r[ECX]! >>> 0, n - within);
    assert.ok(filled(bus.ram, 0x300000, 0x300000 + 4 * within, 0x11223344), 'every element within the limit stored');
    assert.ok(filled(bus.ram, 0x300000 + 4 * within, 0x300000 + 4 * n, 0), 'nothing stored from the faulting element on');
  });
}

test('rep movsl from DS ending mid-run: #GP(0) at the first source element beyond, the copied part intact', () => {
  const n = 0x400, limit = 0x2007ff;
  const src = `mov $${n}, %ecx\nmov $0x200000, %esi\nmov $0x300000, %edi\ncld\nrep movsl\nhlt`;
  const { cpu, bus } = (() => {
    const m = machineWith(assemble(src));
    for (let a = 0x200000; a < 0x201000; a += 4) new DataView(m.bus.ram.buffer).setUint32(a, a ^ 0x5a5a5a5a, true);
    return m;
  })();
  cpu.setSegCache(DS, 0x10, 0, limit, DATA_AR, true);
  let stop: Stop | null = null;
  cpu.onTrap = (vector, code) => { stop = { vector, code, eip: cpu.eip >>> 0 }; cpu.halted = true; return true; };
  cpu.run(Infinity, 10_000_000);
  const within = (limit - 0x200000 + 1) / 4;
  assert.ok(stop);
  assert.equal([(stop as Stop).vector, (stop as Stop).code], [13, 0]);
  assert.is(cpu.r[ESI]! >>> 0, 0x200000 + 4 * within);
  assert.is(cpu.r[EDI]! >>> 0, 0x300000 + 4 * within);
  assert.is(cpu.r[ECX]! >>> 0, n - within);
  const dv = new DataView(bus.ram.buffer);
  for (let k = 0; k < n; k++) {
    const want = k < within ? (0x200000 + 4 * k) ^ 0x5a5a5a5a : 0;
    if (dv.getUint32(0x300000 + 4 * k, true) !== want >>> 0) assert.unreachable(`element ${k}`);
  }
});

// The limit ends 1, 2 or 3 bytes into the dword at 0x2ffffc: that dword is the first whose last
// byte lies beyond it. Each loop runs 262,143 times, so it runs as compiled code
// (emulator/cpu/blocks.ts, block-inline.ts) long before it reaches the limit.
for (const beyond of [1, 2, 3]) {
  const limit = 0x2fffff - beyond;
  test(`a hot load loop over DS ending ${beyond} byte(s) into a dword: runs up to the limit and faults on that dword`, () => {
    const { cpu, stop } = runLimited('1: add (%esi), %eax\nadd $4, %esi\ndec %ecx\njnz 1b\nhlt', DS, limit, (r) => {
      r[ESI] = 0x200000; r[ECX] = 0x100000; r[EAX] = 0;
    });
    assert.ok(stop);
    assert.equal([stop!.vector, stop!.code], [13, 0]);
    assert.is(cpu.r[ESI]! >>> 0, 0x2ffffc, 'the first dword whose last byte lies beyond');
    assert.is(cpu.r[ECX]! >>> 0, 0x100000 - (0x2ffffc - 0x200000) / 4);
  });

  test(`a hot pop loop with SS ending ${beyond} byte(s) into a dword: pops up to the limit, #SS(0) at that dword`, () => {
    const { cpu, stop } = runLimited('1: pop %ebx\ndec %ecx\njnz 1b\nhlt', SS, limit, (r) => {
      r[ESP] = 0x200000; r[ECX] = 0x100000;
    });
    assert.ok(stop);
    assert.equal([stop!.vector, stop!.code], [12, 0]);
    assert.is(cpu.r[ESP]! >>> 0, 0x2ffffc, 'ESP left at the pop that faulted');
    assert.is(cpu.r[ECX]! >>> 0, 0x100000 - (0x2ffffc - 0x200000) / 4);
  });

  test(`a hot push loop climbing SS ending ${beyond} byte(s) into a dword: #SS(0) at the push into that dword, ESP unchanged`, () => {
    // Each pass pushes at ESP - 4 and then moves ESP up by 8: the pushes climb 4 bytes a pass.
    const { cpu, stop } = runLimited('1: push %eax\nadd $8, %esp\ndec %ecx\njnz 1b\nhlt', SS, limit, (r) => {
      r[ESP] = 0x200004; r[ECX] = 0x100000;
    });
    assert.ok(stop);
    assert.equal([stop!.vector, stop!.code], [12, 0]);
    assert.is(cpu.r[ESP]! >>> 0, 0x300000, 'the push would have written 0x2ffffc..0x2fffff');
    assert.is(cpu.r[ECX]! >>> 0, 0x100000 - (0x2ffffc - 0x200000) / 4);
  });
}

test('the stack segment: pops within the limit go through, the first beyond raises #SS(0)', () => {
  const { cpu, stop } = runLimited('1: pop %ebx\njmp 1b', SS, 0x8fff, (r) => { r[ESP] = 0x9000 - 4 * 8; });
  assert.ok(stop);
  assert.equal([stop!.vector, stop!.code], [12, 0]);
  assert.is(cpu.r[ESP]! >>> 0, 0x9000, 'eight pops went through; the one reading 0x9000..0x9003 faulted');
});

/** Loads CS with base 0 and `limit`, restarts at 0x100000 with `regs` set, and returns the first fault. */
function rerunUnderCs(cpu: ReturnType<typeof machineWith>['cpu'], limit: number, regs: [number, number][]): Stop | null {
  cpu.setSegCache(CS, 0x08, 0, limit, CODE_AR, true);
  cpu.halted = false;
  cpu.eip = 0x100000;
  for (const [n, v] of regs) cpu.r[n] = v;
  let stop: Stop | null = null;
  cpu.onTrap = (vector, code) => { stop = { vector, code, eip: cpu.eip >>> 0 }; cpu.halted = true; return true; };
  cpu.run(Infinity, 10_000_000);
  return stop;
}

test('compiled code does not run past a CS limit: a hot loop compiled under a flat CS faults at its first instruction once CS ends inside it', () => {
  // The loop is one block (dec, mov, jnz); the mov is 5 bytes at 0x100001, and with CS ending at
  // 0x100003 fetching it raises #GP(0) after the dec has run once.
  const { cpu } = machineWith(assemble('1: dec %ecx\nmov $0x12345678, %eax\njnz 1b\nhlt'));
  cpu.r[ECX] = 100_000;
  assert.is(cpu.run(Infinity, 10_000_000), 'halt');
  assert.is(cpu.r[EAX]! >>> 0, 0x12345678);
  const stop = rerunUnderCs(cpu, 0x100003, [[ECX, 10], [EAX, 0]]);
  assert.ok(stop, 'a fault');
  assert.equal([stop!.vector, stop!.code, stop!.eip], [13, 0, 0x100001]);
  assert.equal([cpu.r[EAX], cpu.r[ECX]], [0, 9], 'the dec ran, the mov did not');
});

test('a compiled jcc to a target beyond the CS limit faults at the jcc, as the manual has it, not at the target', () => {
  // dec (1 byte) at 0x100000, jz rel32 at 0x100001, jmp back; the jz's target lies at 0x102000.
  const { cpu } = machineWith(assemble('1: dec %ecx\njz 2f\njmp 1b\n.org 0x2000\n2: hlt'));
  cpu.r[ECX] = 100_000;
  assert.is(cpu.run(Infinity, 10_000_000), 'halt');
  assert.is(cpu.eip >>> 0, 0x102001, 'the loop ran (compiled) and left through the jz');
  const stop = rerunUnderCs(cpu, 0x101fff, [[ECX, 1]]);
  assert.ok(stop, 'a fault');
  assert.equal([stop!.vector, stop!.code, stop!.eip], [13, 0, 0x100001]);
  assert.is(cpu.r[ECX], 0, 'the dec before it ran');
});

test('a block reached from another (a link) does not run past a CS limit either: the linked block faults at its first instruction beyond', () => {
  // Block A (dec, jmp) lies on the page at 0x100000, block B (dec, mov, jnz) on the next one; the
  // loop runs hot under a flat CS, so A links to B. With CS ending at 0x101002 A still lies within,
  // but B's 5-byte mov at 0x101001 does not.
  const { cpu } = machineWith(assemble('1: dec %ecx\njmp 2f\n.org 0x1000\n2: dec %edx\nmov $0x12345678, %eax\njnz 1b\nhlt'));
  cpu.r[ECX] = 100_000;
  cpu.r[EDX] = 100_000;
  assert.is(cpu.run(Infinity, 10_000_000), 'halt');
  const stop = rerunUnderCs(cpu, 0x101002, [[ECX, 10], [EDX, 10], [EAX, 0]]);
  assert.ok(stop, 'a fault');
  assert.equal([stop!.vector, stop!.code, stop!.eip], [13, 0, 0x101001]);
  assert.equal([cpu.r[EAX], cpu.r[ECX], cpu.r[EDX]], [0, 9, 9], 'A ran once, then B up to the mov');
});

test.run();
