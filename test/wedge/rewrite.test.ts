// The wedge's rewriter (guests/wedge/ia32/rewrite.c, run here as the host program rewrite-host)
// over an afterburnt object holding every sensitive form it handles. The oracle is GNU binutils:
// objdump decodes each site's original instruction (which decides what the replacement must
// be) and the rewritten bytes (which must be that replacement, then NOPs to the site's end);
// nm names the addresses the replacement calls. Nothing is compared with a stored output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { afterburnAsDir, buildFixture, buildWedge } from './build.ts';

let wedge: { elf: string; rewriter: string };
let asDir: string;
let symbols: Map<number, string>;
let byName: Map<string, number>;

interface Insn { addr: number; text: string }

const listings = new Map<string, Insn[]>();

/** objdump's instructions in [from, to) (one objdump run per file). */
async function disassemble(elf: string, from: number, to: number): Promise<Insn[]> {
  let all = listings.get(elf);
  if (!all) {
    all = await listing(elf);
    listings.set(elf, all);
  }
  return all.filter((i) => i.addr >= from && i.addr < to);
}

async function listing(elf: string): Promise<Insn[]> {
  const r = await execa('objdump', ['-d', '--no-show-raw-insn', elf]);
  const out: Insn[] = [];
  for (const l of r.stdout.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+(.*?)\s*$/.exec(l);
    if (m) out.push({ addr: parseInt(m[1]!, 16), text: m[2]!.replace(/\s+/g, ' ').replace(/ <[^>]*>$/, '') });
  }
  return out;
}

/** The .afterburn sites as [begin, end), read with objdump -s (not with our own ELF code). Each
 *  record is the begin relative to the record's address, then the length. */
async function sites(elf: string): Promise<[number, number][]> {
  const r = await execa('objdump', ['-s', '-j', '.afterburn', elf]);
  const words: { at: number; value: number }[] = [];
  for (const l of r.stdout.split('\n')) {
    const m = /^ ([0-9a-f]{8}) ((?:[0-9a-f]{8} ?){1,4})/.exec(l);
    if (!m) continue;
    m[2]!.trim().split(' ').forEach((w, k) => words.push({ at: parseInt(m[1]!, 16) + 4 * k, value: Buffer.from(w, 'hex').readInt32LE(0) }));
  }
  const pairs: [number, number][] = [];
  for (let i = 0; i < words.length; i += 2) {
    const begin = (words[i]!.at + words[i]!.value) >>> 0;
    pairs.push([begin, begin + words[i + 1]!.value]);
  }
  return pairs;
}

const REG16: Record<string, string> = { ax: 'eax', cx: 'ecx', dx: 'edx', bx: 'ebx', bp: 'ebp', si: 'esi', di: 'edi' };
const SIZE: Record<string, string> = { al: 'b', ax: 'w', eax: 'l' };

type Want =
  | { kind: 'call'; stub: string }
  | { kind: 'cli' | 'sti' | 'sti_hlt' }
  | { kind: 'jmp'; to: string | number }
  | { kind: 'port'; stub: string; port: number }
  | { kind: 'mem'; stub: string; operand: string; pop?: false }
  | { kind: 'short'; stub: string; disp: number };

const DR_ALIAS: Record<string, string> = { 4: '6', 5: '7' };
const ESP_OPERAND = /^(-?0x[0-9a-f]+)?\(%esp\)$/;

/** The operand a lea must name after the site's pushl %eax: 4 bytes further from ESP (SDM: push
 *  decrements ESP by 4 before the lea computes the address). */
function afterPush(operand: string): string {
  const m = ESP_OPERAND.exec(operand);
  if (!m) return operand;
  const d = (m[1] ? parseInt(m[1], 16) : 0) + 4;
  return `${d < 0 ? '-' : ''}0x${Math.abs(d).toString(16)}(%esp)`;
}

/** Bytes of pushl %eax; leal m, %eax; call *abs; [popl %eax] for an operand objdump printed:
 *  ModRM, a SIB for ESP, the displacement in the smallest size that holds it. */
function longLength(operand: string, pop: boolean): number {
  const m = /^(-?0x[0-9a-f]+)?\((%e..)\)$/.exec(operand);
  if (!m) return Infinity;
  const d = m[1] ? parseInt(m[1], 16) : 0;
  const disp = d === 0 && m[2] !== '%ebp' ? 0 : d >= -128 && d <= 127 ? 1 : 4;
  return 1 + 2 + (m[2] === '%esp' ? 1 : 0) + disp + 6 + (pop ? 1 : 0);
}

/** A memory form: the long one when it fits the site, else the ESP-relative short one. */
function memForm(stub: string, operand: string, siteLen: number, pop = true): Want {
  const adjusted = afterPush(operand);
  if (longLength(adjusted, pop) <= siteLen) return pop ? { kind: 'mem', stub, operand: adjusted } : { kind: 'mem', stub, operand: adjusted, pop: false };
  const m = ESP_OPERAND.exec(operand);
  if (!m || !pop) throw new Error(`no form of '${stub}' fits ${siteLen} bytes for ${operand}`);
  return { kind: 'short', stub: `${stub}_esp`, disp: m[1] ? parseInt(m[1], 16) : 0 };
}

/** What the wedge's documented rewriting rules make of the instruction objdump printed. */
function wanted(text: string, siteLen: number): Want {
  let m: RegExpExecArray | null;
  if (text === 'rdmsr' || text === 'wrmsr') return { kind: 'call', stub: text };
  if ((m = /^mov %db(\d),%(e..)$/.exec(text))) return { kind: 'call', stub: `mov_from_dr${DR_ALIAS[m[1]!] ?? m[1]}_${m[2]}` };
  if ((m = /^mov %(e..),%db(\d)$/.exec(text))) return { kind: 'call', stub: `mov_to_dr${DR_ALIAS[m[2]!] ?? m[2]}_${m[1]}` };
  if ((m = /^(rep )?ins([bwl]) \(%dx\),%es:\(%edi\)$/.exec(text))) return { kind: 'call', stub: `${m[1] ? 'rep_' : ''}ins_${m[2]}` };
  if ((m = /^(rep )?outs([bwl]) %ds:\(%esi\),\(%dx\)$/.exec(text))) return { kind: 'call', stub: `${m[1] ? 'rep_' : ''}outs_${m[2]}` };
  if ((m = /^lss (.+),%esp$/.exec(text))) return memForm('lss', m[1]!, siteLen, false);
  if ((m = /^(sgdt|sidt|lgdt|lidt)l? (.+)$/.exec(text))) return memForm(m[1]!, m[2]!, siteLen);
  if ((m = /^(sldt|str) %(e?..)$/.exec(text))) return { kind: 'call', stub: `${m[1]}_${m[2]}` };
  if ((m = /^(sldt|str) (.+)$/.exec(text))) return memForm(`${m[1]}_mem`, m[2]!, siteLen);
  if ((m = /^lldt %(..)$/.exec(text))) return { kind: 'call', stub: `lldt_${REG16[m[1]!]}` };
  if ((m = /^mov %([c-gs]s),(.*\(.+)$/.exec(text))) return memForm(`mov_from_${m[1]}_mem`, m[2]!, siteLen);
  if ((m = /^mov (.*\(.+\)),%([c-gs]s)$/.exec(text))) return memForm(`mov_to_${m[2]}_mem`, m[1]!, siteLen);
  if (text === 'cli' || text === 'sti') return { kind: text };
  if (text === 'iret') return { kind: 'jmp', to: 'ws_iret' };
  if (['pushf', 'popf', 'hlt', 'cpuid', 'clts', 'wbinvd'].includes(text)) return { kind: 'call', stub: text };
  if ((m = /^in \(%dx\),%(al|ax|eax)$/.exec(text))) return { kind: 'call', stub: `in_${SIZE[m[1]!]}` };
  if ((m = /^out %(al|ax|eax),\(%dx\)$/.exec(text))) return { kind: 'call', stub: `out_${SIZE[m[1]!]}` };
  if ((m = /^in \$0x([0-9a-f]+),%(al|ax|eax)$/.exec(text))) return { kind: 'port', stub: `in_${SIZE[m[2]!]}`, port: parseInt(m[1]!, 16) };
  if ((m = /^out %(al|ax|eax),\$0x([0-9a-f]+)$/.exec(text))) return { kind: 'port', stub: `out_${SIZE[m[1]!]}`, port: parseInt(m[2]!, 16) };
  if ((m = /^mov %(e..),%cr(\d)$/.exec(text))) return { kind: 'call', stub: `mov_to_cr${m[2]}_${m[1]}` };
  if ((m = /^mov %cr(\d),%(e..)$/.exec(text))) return { kind: 'call', stub: `mov_from_cr${m[1]}_${m[2]}` };
  if ((m = /^invlpg \(%(e..)\)$/.exec(text))) return { kind: 'call', stub: `invlpg_${m[1]}` };
  if ((m = /^invlpg (.+)$/.exec(text))) return { kind: 'mem', stub: 'invlpg', operand: m[1]! };
  if ((m = /^ltr %(..)$/.exec(text))) return { kind: 'call', stub: `ltr_${REG16[m[1]!]}` };
  if ((m = /^ljmp \$0x8,\$0x([0-9a-f]+)$/.exec(text))) return { kind: 'jmp', to: parseInt(m[1]!, 16) };
  if ((m = /^mov %(e..),%([c-gs]s)$/.exec(text))) return { kind: 'call', stub: `mov_to_${m[2]}_${m[1]}` };
  if ((m = /^mov %([c-gs]s),%(e?..)$/.exec(text))) return { kind: 'call', stub: `mov_from_${m[1]}_${m[2]}` };
  if ((m = /^(push|pop) %([c-gs]s)$/.exec(text))) return { kind: 'call', stub: `${m[1]}_${m[2]}` };
  throw new Error(`the test has no rule for '${text}'`);
}

/** Instructions in a fixture (every one of them is sensitive): indented lines that are not directives. */
function fixtureInstructions(name: string): number {
  const text = readFileSync(new URL(`fixtures/${name}.S`, import.meta.url), 'utf8');
  return text.split('\n').filter((l) => /^\s+[a-z]/.test(l)).length;
}

/** Bytes of the linked fixture at a virtual address (linked with -Ttext, one PT_LOAD: the text's
 *  file offset from readelf's section table). */
const textOffsets = new Map<string, { addr: number; off: number }>();
function bytesAt(elf: string, addr: number, n: number): number[] {
  const t = textOffsets.get(elf)!;
  return [...readFileSync(elf).subarray(addr - t.addr + t.off, addr - t.addr + t.off + n)];
}
async function loadTextOffset(elf: string): Promise<void> {
  const r = await execa('readelf', ['-SW', elf]);
  const m = /\.text\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(r.stdout);
  assert.ok(m, 'readelf shows .text');
  textOffsets.set(elf, { addr: parseInt(m![1]!, 16), off: parseInt(m![2]!, 16) });
}

function hex(n: number): string { return '0x' + n.toString(16); }
function slotCall(stub: string): string {
  const a = byName.get(`ws_ptr_${stub}`);
  assert.ok(a, `the wedge has a slot ws_ptr_${stub}`);
  return `call *${hex(a!)}`;
}

/** The instruction texts a site must start with, per the wanted replacement. */
function replacement(w: Want, countAll: boolean): string[] {
  const mask = hex(byName.get('vcpu_irq_mask')!), pending = hex(byName.get('vcpu_irq_pending')!);
  switch (w.kind) {
    case 'cli': return countAll ? [slotCall('cli')] : [`movb $0x1,${mask}`];
    case 'sti_hlt': return countAll ? [slotCall('sti_hlt')] : [`movb $0x0,${mask}`];
    case 'sti': return countAll ? [slotCall('sti')]
      : [`movb $0x0,${mask}`, 'push %ecx', `movzbl ${pending},%ecx`, 'JECXZ', slotCall('force'), 'pop %ecx'];
    case 'call': return [slotCall(w.stub)];
    case 'port': return ['push %edx', `mov ${hex(w.port)},%edx`.replace(/^mov /, 'mov $'), slotCall(w.stub), 'pop %edx'];
    case 'mem': return ['push %eax', `lea ${w.operand},%eax`, slotCall(w.stub), ...(w.pop === false ? [] : ['pop %eax'])];
    case 'short': return [slotCall(w.stub)];
    case 'jmp': return [`jmp ${(typeof w.to === 'number' ? w.to : byName.get(w.to)!).toString(16)}`]; // objdump: no 0x
  }
}

async function rewriteAndCheck(extra: string[], countAll: boolean) {
  const src = await buildFixture('sites', asDir);
  const out = src.replace(/\.elf$/, countAll ? '.all.elf' : '.rw.elf');
  const r = await execa(wedge.rewriter, [wedge.elf, src, out, ...extra], { reject: false, all: true });
  assert.is(r.exitCode, 0, r.all);
  await loadTextOffset(out);
  const pairs = await sites(src);
  assert.is(pairs.length, fixtureInstructions('sites'), 'the afterburner recorded one site per sensitive instruction of the fixture');
  assert.is(r.stdout.trim().split('\n').length, pairs.length, 'one report line per site');
  for (const [k, [begin, end]] of pairs.entries()) {
    const [orig] = await disassemble(src, begin, end);
    const next = pairs[k + 1] && pairs[k + 1]![0] === end ? (await disassemble(src, end, pairs[k + 1]![1]))[0]!.text : '';
    // sti right before a hlt site only unmasks: the hlt delivers (the sti's one-instruction shadow).
    const w = wanted(orig!.text, end - begin);
    const want = replacement(w.kind === 'sti' && next === 'hlt' ? { kind: 'sti_hlt' } : w, countAll);
    const got = await disassemble(out, begin, end);
    const texts = got.map((i) => i.text);
    const where = `site ${hex(begin)} '${orig!.text}' became ${JSON.stringify(texts)}`;
    want.forEach((w, i) => {
      // jecxz skips exactly the call: its target is the instruction after it (the pop).
      if (w === 'JECXZ') assert.ok(/^jecxz [0-9a-f]+$/.test(texts[i]!) && parseInt(texts[i]!.slice(6), 16) === got[i + 2]!.addr, where);
      else assert.is(texts[i], w, where);
    });
    if (w.kind === 'short') {
      // the displacement byte follows the 6-byte call (objdump decodes it with the NOPs after it)
      assert.is(bytesAt(out, begin + 6, 1)[0], w.disp & 0xff, `${where}: the displacement byte`);
      assert.ok(bytesAt(out, begin + 7, end - begin - 7).every((b) => b === 0x90), `${where}: the rest is NOPs`);
      continue;
    }
    assert.ok(got.slice(want.length).every((i) => i.text === 'nop'), `${where}: the rest is NOPs`);
    assert.ok(got.every((i) => i.addr < end), `${where}: fits`);
  }
}

test.before(async () => {
  [wedge, asDir] = await Promise.all([buildWedge(), afterburnAsDir()]);
  const nm = await execa('nm', [wedge.elf]);
  symbols = new Map();
  byName = new Map();
  for (const l of nm.stdout.split('\n')) {
    const [a, , n] = l.split(' ');
    if (a && n) { symbols.set(parseInt(a, 16), n); byName.set(n, parseInt(a, 16)); }
  }
});

test('wedge-xen.elf: a Xen kernel at 0xF8000000 with its stub slots and statistics', async () => {
  const r = await execa('objdump', ['-s', '-j', '__xen_guest', wedge.elf]);
  assert.match(r.stdout.replace(/\n/g, ''), /GUEST_OS=worl/);
  const h = await execa('readelf', ['-h', wedge.elf]);
  assert.match(h.stdout, /Entry point address:\s+0xf8/);
  for (const s of ['wedge_stats', 'wedge_stat_names', 'ws_iret', 'ws_ptr_mov_to_cr3_eax', 'vcpu_irq_mask']) {
    assert.ok(byName.has(s), `symbol ${s}`);
  }
  assert.is(byName.get('vcpu_irq_mask')! - byName.get('vcpu_irq_pending')!, 1, 'mask follows pending (Xen vcpu_info)');
});

test('every site becomes the call or inline sequence of its kind, NOP-padded, inside the site', async () => {
  await rewriteAndCheck([], false);
});

test('count=all: cli and sti become counting calls too', async () => {
  await rewriteAndCheck(['--count-all'], true);
});

test('a skipped site keeps the afterburner\'s bytes', async () => {
  const src = await buildFixture('sites', asDir);
  const out = src.replace(/\.elf$/, '.skip.elf');
  const r = await execa(wedge.rewriter, [wedge.elf, src, out, '--skip', '3'], { all: true });
  assert.match(r.stderr, new RegExp(`${fixtureInstructions('sites') - 1} sites rewritten .* 1 skipped`));
  const [, [b, e]] = [0, (await sites(src))[3]!];
  const a = readFileSync(src), c = readFileSync(out);
  assert.ok(a.equals(c) === false, 'other sites changed');
  const [orig] = await disassemble(src, b, e);
  const [kept] = await disassemble(out, b, e);
  assert.is(kept!.text, orig!.text);
  assert.is(orig!.text, 'popf');
});

test('an instruction the wedge does not emulate fails loudly, naming the site and its bytes', async () => {
  const src = await buildFixture('unsupported', asDir);
  const r = await execa(wedge.rewriter, [wedge.elf, src, src + '.out'], { reject: false, all: true });
  assert.is(r.exitCode, 1);
  const [, [b]] = [0, (await sites(src))[1]!];
  assert.match(r.stderr, new RegExp(`site 1 at 0x${b.toString(16).padStart(8, '0')} \\(\\d+ bytes: 0f 08 90`));
  assert.match(r.stderr, /not emulated: invd/);
});

test('a replacement that does not fit the padding fails loudly', async () => {
  const src = await buildFixture('toolong', asDir);
  const r = await execa(wedge.rewriter, [wedge.elf, src, src + '.out'], { reject: false, all: true });
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, /site 0 at 0xc0100000 \(10 bytes: 0f 01 7b 04 90 90 90 90 \.\.\.\): replacement does not fit the site: invlpg/);
});

test.run();
