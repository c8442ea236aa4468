// The guest kernel, built by its Makefile and booted on qemu-system-i386. Expected program
// results are recomputed here (CRC-32 through node:zlib, sorting through a typed array), never
// taken from the kernel's output; the disassembly check keeps every sensitive instruction
// inside guests/kernel/arch/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { crc32 } from 'node:zlib';

const kernelDir = new URL('../../guests/kernel', import.meta.url).pathname;
const PIT_HZ = 1193182;

let root = '';
let hz1000 = '';   // build directory, HZ=1000 (the default)
let hz100 = '';    // build directory, HZ=100

async function build(out: string, hz?: number): Promise<string> {
  const args = ['-C', kernelDir, `O=${out}`, 'CC=gcc', '-j2'];
  if (hz !== undefined) args.push(`HZ=${hz}`);
  const r = await execa('make', args, { all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`make failed:\n${r.all}`);
  return r.all ?? '';
}

interface Boot { lines: string[]; qemuStatus: number; guestStatus: number }

// Boot on QEMU; isa-debug-exit turns the guest's write of v into QEMU exit status (v << 1) | 1.
// With icount, guest time is one nanosecond per instruction instead of host time, so how often
// the timer preempts does not depend on how busy the host is.
async function boot(elf: string, append: string, icount = false): Promise<Boot> {
  const r = await execa('qemu-system-i386', [
    ...(icount ? ['-icount', 'shift=0,sleep=off'] : []),
    '-kernel', elf, '-append', append, '-m', '32', '-display', 'none', '-monitor', 'none',
    '-serial', 'stdio', '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
  ], { reject: false, timeout: 30_000, stdin: 'ignore' });
  if (r.timedOut) throw new Error(`QEMU timed out; output so far:\n${r.stdout}`);
  const qemuStatus = r.exitCode ?? -1;
  const lines = r.stdout.replace(/\r/g, '').split('\n');
  return { lines, qemuStatus, guestStatus: qemuStatus % 2 === 1 ? (qemuStatus - 1) / 2 : -1 };
}

function line(b: Boot, re: RegExp): RegExpMatchArray {
  for (const l of b.lines) {
    const m = l.match(re);
    if (m) return m;
  }
  assert.unreachable(`no line matches ${re}\n${b.lines.join('\n')}`);
  throw new Error('unreachable');
}

// The cpu program, recomputed: per round 1024 xorshift32 words w ^ (w / 7), sorted, their
// little-endian bytes folded into one running CRC-32. Returns the CRC after each round.
function cpuOracle(seed: number, rounds: number): number[] {
  let s = seed === 0 ? 1 : seed >>> 0;
  let crc = 0;
  const out: number[] = [];
  const words = new Uint32Array(1024);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < words.length; i++) {
      s ^= s << 13; s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5; s >>>= 0;
      words[i] = (s ^ Math.floor(s / 7)) >>> 0;
    }
    words.sort();
    const bytes = Buffer.alloc(words.length * 4);
    words.forEach((w, i) => bytes.writeUInt32LE(w, i * 4));
    crc = crc32(bytes, crc);
    out.push(crc);
  }
  return out;
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

// The default workload: init runs cpu seeds 1 and 2 for ROUNDS rounds and sys for N calls.
const ROUNDS = 30;
const N = 200;
const SLEEP_MS = 20;
let run1000: Boot;

// Every file under dir, relative to it, sorted.
async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath ?? e.path, e.name))).sort();
}

let sourceBefore: string[] = [];

test.before(async () => {
  sourceBefore = await listTree(kernelDir);
  root = await mkdtemp(join(tmpdir(), 'world-guest-kernel-'));
  hz1000 = join(root, 'hz1000');
  hz100 = join(root, 'hz100');
  await Promise.all([build(hz1000), build(hz100, 100)]);
  run1000 = await boot(join(hz1000, 'kernel.elf'), `run=init arg=${ROUNDS},${N},${SLEEP_MS}`, true);
});

test.after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

test('the Makefile builds a Multiboot ELF32 under O and leaves the source tree clean', async () => {
  const elf = join(hz1000, 'kernel.elf');
  const { stdout } = await execa('readelf', ['-h', elf]);
  assert.match(stdout, /Class:\s+ELF32/);
  assert.match(stdout, /Machine:\s+Intel 80386/);
  assert.equal(await listTree(kernelDir), sourceBefore, 'build products must not land in guests/kernel');
  // Nothing changed, so nothing is rebuilt.
  const again = await build(hz1000);
  assert.not.match(again, /gcc |ld /);
  // Bad options are refused by name before anything is built.
  for (const [opt, says] of [['ARCH=nosuch', /ARCH=nosuch: no arch layer in arch\/nosuch\//],
    ['HZ=abc', /HZ=abc: expected a whole number/], ['HZ=5', /HZ=5: expected a whole number/]] as const) {
    const r = await execa('make', ['-C', kernelDir, `O=${join(root, 'bad')}`, opt], { all: true, reject: false });
    assert.is.not(r.exitCode, 0);
    assert.match(r.all ?? '', says);
  }
});

test('boots, prints the boot log, and exits through isa-debug-exit with status 0', () => {
  const b = run1000;
  line(b, /^\[kernel\] world guest kernel, arch=native HZ=1000$/);
  line(b, new RegExp(`^\\[kernel\\] pit: HZ=1000 divisor=${Math.round(PIT_HZ / 1000)}$`));
  const kib = Number(line(b, /^\[kernel\] memory: (\d+) KiB mapped at 0xc0000000, (\d+) pages free$/)[1]);
  assert.ok(kib > 30 * 1024 && kib <= 32 * 1024, `mapped ${kib} KiB of a 32 MiB machine`);
  line(b, /^\[kernel\] run: init arg='30,200,20' pid=1$/);
  line(b, /^init: done, 0 failed$/);
  line(b, /^\[kernel\] exit pid=1 name=init status=0 /);
  line(b, /^\[kernel\] shutdown status=0 /);
  assert.is(b.guestStatus, 0);
  assert.is(b.qemuStatus, 1);
});

test('the CPU-bound programs print the CRC the host recomputes, round by round', () => {
  for (const seed of [1, 2]) {
    const crcs = cpuOracle(seed, ROUNDS);
    for (let r = 5; r < ROUNDS; r += 5) {
      line(run1000, new RegExp(`^cpu ${seed}: round ${r} crc ${hex8(crcs[r - 1])}$`));
    }
    line(run1000, new RegExp(`^cpu ${seed}: done rounds ${ROUNDS} crc ${hex8(crcs[ROUNDS - 1])}$`));
  }
  // An oracle self-check against a hand-known value: CRC-32 of "123456789".
  assert.is(crc32(Buffer.from('123456789')), 0xcbf43926);
});

test('the syscall-heavy program counts its calls and the kernel counts the same', () => {
  const m = line(run1000, /^sys: pid (\d+) calls (\d+) bad (\d+)$/);
  // getpid, the start line, N x (getpid, uptime, yield), four refused calls, uptime, sleep,
  // uptime, hz, one line.
  const calls = 1 + 1 + 3 * N + 4 + 3 + 1 + 1;
  assert.is(Number(m[2]), calls);
  assert.is(Number(m[3]), 0);
  const pid = m[1];
  line(run1000, new RegExp(`^init: spawned sys '${N},${SLEEP_MS}' pid ${pid}$`));
  // The kernel also saw the final line's write and the exit.
  line(run1000, new RegExp(`^\\[kernel\\] exit pid=${pid} name=sys status=0 syscalls=${calls + 2} `));
});

test('processes ran interleaved under timer preemption', () => {
  const at = (re: RegExp): number[] =>
    run1000.lines.flatMap((l, i) => (re.test(l) ? [i] : []));
  const one = at(/^cpu 1: /);
  const two = at(/^cpu 2: /);
  assert.is(one.length, ROUNDS / 5);
  assert.is(two.length, ROUNDS / 5);
  // Neither CPU-bound program yields, so their lines can only mix if the timer preempted them.
  assert.ok(one[0] < two[two.length - 1] && two[0] < one[one.length - 1],
    `cpu 1 lines ${one}, cpu 2 lines ${two}`);
  for (const name of ['cpu']) {
    const exits = run1000.lines.filter((l) => l.includes(` name=${name} status=0 `));
    assert.is(exits.length, 2);
    for (const e of exits) {
      const preempted = Number(e.match(/preempted=(\d+)/)?.[1]);
      assert.ok(preempted > 0, e);
    }
  }
});

test('HZ changes the build: PIT divisor and sleep length in ticks follow it', async () => {
  const b = await boot(join(hz100, 'kernel.elf'), `run=init arg=10,20,${SLEEP_MS}`, true);
  line(b, /^\[kernel\] world guest kernel, arch=native HZ=100$/);
  line(b, new RegExp(`^\\[kernel\\] pit: HZ=100 divisor=${Math.round(PIT_HZ / 100)}$`));
  assert.is(b.guestStatus, 0);
  const slept = (x: Boot, hz: number): number =>
    Number(line(x, new RegExp(`^sys: slept ${SLEEP_MS} ms in (\\d+) ticks at HZ=${hz}$`))[1]);
  const t100 = slept(b, 100);
  const t1000 = slept(run1000, 1000);
  const want = (hz: number): number => Math.ceil((SLEEP_MS * hz) / 1000);
  assert.ok(t100 >= want(100) && t100 <= want(100) + 5, `slept ${t100} ticks at HZ=100`);
  assert.ok(t1000 >= want(1000) && t1000 <= want(1000) + 5, `slept ${t1000} ticks at HZ=1000`);
  // Changing HZ in an existing build recompiles exactly the files that use it.
  const rebuilt = (await build(hz100, 250)).match(/\S+\.[cS]$/gm)?.sort();
  assert.equal(rebuilt, ['main.c', 'pit.c', 'sched.c', 'syscall.c']);
});

test('the command line selects the workload; an unknown program fails the run', async () => {
  const elf = join(hz1000, 'kernel.elf');
  const [cpu, none] = await Promise.all([boot(elf, 'run=cpu arg=7,3,1'), boot(elf, 'run=nope')]);
  const crcs = cpuOracle(7, 3);
  line(cpu, /^\[kernel\] run: cpu arg='7,3,1' pid=1$/);
  line(cpu, new RegExp(`^cpu 7: round 1 crc ${hex8(crcs[0])}$`));
  line(cpu, new RegExp(`^cpu 7: done rounds 3 crc ${hex8(crcs[2])}$`));
  assert.is(cpu.guestStatus, 0);
  line(none, /^\[kernel\] run: no program 'nope'$/);
  assert.is(none.guestStatus, 2);
});

test('user mode is protected: a process touching kernel memory or a kernel gate is killed', async () => {
  const elf = join(hz1000, 'kernel.elf');
  const [pf, gp] = await Promise.all([boot(elf, 'run=fault arg=1'), boot(elf, 'run=fault arg=2')]);
  // IA-32: a user read of a present supervisor page is #PF with error code P|U = 5 and CR2 the
  // address; int $3 through a DPL-0 gate is #GP with error code (3 << 3) | IDT = 0x1a.
  line(pf, /^\[kernel\] pid 1 \(fault\): page fault at eip 0x[0-9a-f]{8} err 5 addr 0xc0100000, killed$/);
  assert.is(pf.guestStatus, 64 + 14);
  line(gp, /^\[kernel\] pid 1 \(fault\): general protection at eip 0x[0-9a-f]{8} err 1a addr /);
  assert.is(gp.guestStatus, 64 + 13);
  for (const b of [pf, gp]) assert.not.ok(b.lines.some((l) => l.includes('still alive')));
});

// --- sensitive instructions stay in the arch layer ---

const SENSITIVE_MNEMONIC = new RegExp('^(' + [
  'cli', 'sti', 'pushf[lwd]?', 'popf[lwd]?', 'iret[lwd]?', 'hlt', 'in[bwl]?', 'ins[bwld]?',
  'out[bwl]?', 'outs[bwld]?', 'lgdt[lw]?', 'lidt[lw]?', 'sgdt[lw]?', 'sidt[lw]?', 'ltr', 'str',
  'lldt', 'sldt', 'invlpg', 'clts', 'lmsw', 'smsw', 'ljmp[lw]?', 'lcall[lw]?', 'lret[lw]?',
  'lss', 'lds', 'les', 'lfs', 'lgs', 'rdmsr', 'wrmsr', 'invd', 'wbinvd',
].join('|') + ')$');
// mov/push/pop naming a bare segment, control or debug register (an override like %fs:4 is not).
const SENSITIVE_OPERAND = /%(cs|ds|es|fs|gs|ss)\b(?!:)|%(cr|db|dr)\d/;

interface Hit { file: string; text: string }

async function sensitiveInstructions(obj: string): Promise<string[]> {
  const { stdout } = await execa('objdump', ['-d', '--no-show-raw-insn', obj]);
  const hits: string[] = [];
  for (const l of stdout.split('\n')) {
    const m = l.match(/^\s*[0-9a-f]+:\t(\S+)\s*(.*)$/);
    if (!m) continue;
    const [, mnemonic, operands] = m;
    if (SENSITIVE_MNEMONIC.test(mnemonic) ||
        (/^(mov|push|pop)/.test(mnemonic) && SENSITIVE_OPERAND.test(operands))) {
      hits.push(`${mnemonic} ${operands}`.trim());
    }
  }
  return hits;
}

async function objects(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) out.push(...(await objects(path)));
    else if (name.endsWith('.o')) out.push(path);
  }
  return out;
}

test('no sensitive instruction in any object outside arch/, and the arch layer has them all', async () => {
  const outside: Hit[] = [];
  const inside: string[] = [];
  for (const obj of await objects(hz1000)) {
    const rel = relative(hz1000, obj);
    const hits = await sensitiveInstructions(obj);
    if (rel.startsWith(`arch${sep}`)) inside.push(...hits);
    else outside.push(...hits.map((text) => ({ file: rel, text })));
  }
  assert.ok((await objects(hz1000)).length > 15, 'the check saw the whole build');
  assert.equal(outside, [], `sensitive instructions outside arch/: ${JSON.stringify(outside)}`);
  // Positive control: the same check finds what the arch layer is known to contain.
  const known = [/^cli$/, /^sti$/, /^pushf/, /^popf/, /^iret/, /^hlt$/, /^in /, /^out /, /^lgdt/,
    /^lidt/, /^ltr /, /^invlpg /, /^mov %\w+,%cr3$/, /^mov %cr2,/, /^push %ds$/, /^pop %gs$/,
    /^mov %\w+,%ds$/, /^mov %fs,/];
  for (const re of known) assert.ok(inside.some((h) => re.test(h)), `arch layer: no ${re} in\n${inside.join('\n')}`);
});

test.run();
