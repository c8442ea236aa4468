// Every syntax case of the afterburner, checked against GNU as and objdump: the rewritten source
// assembles cleanly; after linking, `.afterburn` lists exactly the expected sites, each beginning
// with the sensitive instruction objdump decodes there and followed by exactly the padding the
// published table gives; everything else (code, data, strings) is what the unchanged input
// assembles to.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { afterburnAssembly } from '../../afterburner/rewrite.ts';
import { disassemble, readAfterburnRanges, type Instruction } from '../../afterburner/validate.ts';
import { assemble, link, scratchDir, sectionBytes } from './tools.ts';

// NOP bytes per mnemonic, transcribed from the published table (PAPER.md §3); everything else 8.
// ins/outs share in/out's figures; lcall is an addition and takes the default.
const TABLE: Record<string, number> = {
  iret: 4, lret: 4, pushf: 5, push: 5, pop: 5, hlt: 6, sldt: 6, invlpg: 6, cli: 7,
  lgdt: 9, lidt: 9, ljmp: 9, str: 9, int: 11, mov: 12, in: 13, ins: 13, clts: 14,
  lds: 16, les: 16, lfs: 16, lgs: 16, lss: 16, lldt: 16, ltr: 16, out: 16, outs: 16,
  popf: 21, sti: 23,
};
const pad = (kind: string): number => TABLE[kind] ?? 8;

interface Case {
  source: string;
  /** Expected sites in address order: the kind, and objdump's text of the instruction. */
  sites: [string, RegExp][];
  /** The source GNU as should see when not afterburnt (default: `source`). */
  plain?: string;
  /** Expected report when it differs from counting `sites` (macro bodies count once). */
  report?: Record<string, number>;
}

const cases: Record<string, Case> = {
  'labels on the same line': {
    source: 'foo: cli\na: b:sti\n1:\thlt\n\tjmp 1b\n',
    sites: [['cli', /^cli$/], ['sti', /^sti$/], ['hlt', /^hlt$/]],
  },
  'several statements on one line': {
    source: '\tcli; nop; sti ;hlt;  pushf\n',
    sites: [['cli', /^cli$/], ['sti', /^sti$/], ['hlt', /^hlt$/], ['pushf', /^pushf$/]],
  },
  'prefixes belong to the site': {
    source: '\trep insb\n\trep; outsl\n\trep\n\tinsw\n\trep/outsb\n\tlock incl (%eax)\n\trepz cmpsb\n',
    sites: [['ins', /^rep insb/], ['outs', /^rep outsl/], ['ins', /^rep insw/], ['outs', /^rep outsb/]],
  },
  'a segment override alone is not sensitive': {
    source: '\tmovl %fs:(%eax),%ebx\n\tfs\n\tmovl (%eax),%ebx\n\tpushl %gs:4(%eax)\n\tmovw %ds:(%eax),%ax\n\tmov %es:8(%ebp),%ecx\n',
    sites: [],
  },
  'size suffixes': {
    source: [
      'pushfl', 'pushfw', 'popfl', 'popfw', 'iretl', 'iretw', 'lretl', 'lretw',
      'outb %al,$0x80', 'outw %ax,(%dx)', 'outl %eax,%dx', 'inb $0x60,%al', 'inw (%dx),%ax', 'inl %dx,%eax',
      'insb', 'insl', 'outsw', 'sgdtl (%eax)', 'sidtw (%eax)', 'lgdtl (%eax)', 'lidtl (%eax)', 'smsww %ax', 'strl %eax',
      'sldtw %ax', 'ldsl (%eax),%ebx', 'lssw (%eax),%bx',
    ].map((l) => `\t${l}\n`).join(''),
    sites: [
      ['pushf', /^pushf$/], ['pushf', /^pushfw$/], ['popf', /^popf$/], ['popf', /^popfw$/], ['iret', /^iret$/],
      ['iret', /^iretw$/], ['lret', /^lret$/], ['lret', /^lretw$/], ['out', /^out %al,\$0x80$/], ['out', /^out %ax,\(%dx\)$/],
      ['out', /^out %eax,\(%dx\)$/], ['in', /^in \$0x60,%al$/], ['in', /^in \(%dx\),%ax$/], ['in', /^in \(%dx\),%eax$/],
      ['ins', /^insb/], ['ins', /^insl/], ['outs', /^outsw/], ['sgdt', /^sgdtl/], ['sidt', /^sidtw/], ['lgdt', /^lgdtl/],
      ['lidt', /^lidtl/], ['smsw', /^smsw %ax$/], ['str', /^str %eax$/], ['sldt', /^sldt %ax$/], ['lds', /^lds/], ['lss', /^lss/],
    ],
  },
  'mnemonics in any case': {
    source: '\tCLI\n\tSti\n\tPushFL\n\tMov %CR3,%EAX\n\tPUSHL %DS\n\tNOP\n',
    sites: [['cli', /^cli$/], ['sti', /^sti$/], ['pushf', /^pushf$/], ['mov', /^mov %cr3,%eax$/], ['push', /^push %ds$/]],
  },
  'comments are not code': {
    source: [
      '\tcli # sti hlt', '/* sti */ hlt', '\tnop /* cli */ ; pushf', '# cli', '/ cli (a slash in column 0)',
      '\tnop /* a comment', '\tcli across lines', '\t*/ sti', '\tnop # ; cli',
    ].join('\n') + '\n',
    sites: [['cli', /^cli$/], ['hlt', /^hlt$/], ['pushf', /^pushf$/], ['sti', /^sti$/]],
  },
  'strings and character constants are not code': {
    source: [
      '\t.data', 's1: .ascii "cli; sti # hlt"', 's2: .string "pushf\\" ; popf"', '\t.text',
      "\tmovb $';', %al; cli", "\tmovb $'#', %bl; sti", "\tmovb $'\\n, %cl; hlt",
    ].join('\n') + '\n',
    sites: [['cli', /^cli$/], ['sti', /^sti$/], ['hlt', /^hlt$/]],
  },
  'instructions in any section': {
    source: [
      '\t.section .init.text,"ax",@progbits', '\tcli', '\t.pushsection .text.unlikely,"ax",@progbits', '\thlt', '\t.popsection',
      '\tsti', '\t.section .aa,"ax",@progbits', '\tnop', '\t.section .bb,"ax",@progbits', '\tpushf', '\t.previous', '\tpopf',
      '\t.section .fixup,"ax",@progbits', '\tcpuid',
    ].join('\n') + '\n',
    // in address order after ld -Ttext=0x1000
    sites: [['hlt', /^hlt$/], ['cli', /^cli$/], ['sti', /^sti$/], ['popf', /^popf$/], ['pushf', /^pushf$/], ['cpuid', /^cpuid$/]],
  },
  'annotate region directives': {
    source: '\tcli\n\t.afterburn_noannotate\n\tsti\n\thlt\nfoo: .afterburn_annotate\n\tpushf\n',
    plain: '\tcli\n\n\tsti\n\thlt\nfoo:\n\tpushf\n',
    sites: [['cli', /^cli$/], ['pushf', /^pushf$/]],
  },
  'push, pop and mov with segment, control and debug registers': {
    source: [
      'movl %cr3,%eax', 'mov %eax,%cr0', 'mov %eax,%ds', 'movw %ds,%ax', 'movw %ss,(%esp)', 'movl %ss,%eax',
      'mov %db7,%eax', 'mov %eax,%dr0', 'pushl %ds', 'push %fs', 'pushw %cs', 'popl %es', 'pop %gs',
      'push %eax', 'pop %ebx', 'mov %eax,%ebx', 'movl $0x10,%eax', 'movw %ax,(%ebx)', 'pushl %fs:(%eax)',
    ].map((l) => `\t${l}\n`).join(''),
    sites: [
      ['mov', /^mov %cr3,%eax$/], ['mov', /^mov %eax,%cr0$/], ['mov', /^mov %eax,%ds$/], ['mov', /^mov %ds,%ax$/],
      ['mov', /^mov %ss,\(%esp\)$/], ['mov', /^mov %ss,%eax$/], ['mov', /^mov %db7,%eax$/], ['mov', /^mov %eax,%db0$/],
      ['push', /^push %ds$/], ['push', /^push %fs$/], ['push', /^pushw %cs$/], ['pop', /^pop %es$/], ['pop', /^pop %gs$/],
    ],
  },
  'far jumps, calls and returns': {
    source: '\tlret\n\tlret $4\n\tljmp $0x10,$1f\n1:\tljmpl *(%eax)\n\tlcall $8,$0\n\tlcall *(%ebx)\n\tjmp $0x10,$2f\n2:\tjmp *%eax\n\tcall *(%eax)\n\tret\n',
    sites: [
      ['lret', /^lret$/], ['lret', /^lret \$0x4$/], ['ljmp', /^ljmp \$0x10,\$0x/], ['ljmp', /^ljmp \*\(%eax\)$/],
      ['lcall', /^lcall \$0x8,\$0x0$/], ['lcall', /^lcall \*\(%ebx\)$/], ['ljmp', /^ljmp \$0x10,\$0x/],
    ],
  },
  'int n is sensitive; int3 (also written int $3), into and int1 are not': {
    source: '\tint $0x80\n\tint $3\n\tint3\n\tinto\n\tint1\n\tint $0x21\n',
    sites: [['int', /^int \$0x80$/], ['int', /^int \$0x21$/]],
  },
  'the rest of the published list': {
    source: [
      'lgdt (%eax)', 'sgdt (%eax)', 'lidt (%eax)', 'sidt (%eax)', 'lds (%eax),%ebx', 'les (%eax),%ebx', 'lfs (%eax),%ebx',
      'lgs (%eax),%ebx', 'lss (%eax),%ebx', 'clts', 'lldt %ax', 'sldt %ax', 'ltr %ax', 'str %ax', 'invlpg (%eax)', 'iret',
      'cpuid', 'wrmsr', 'rdmsr', 'ud2', 'invd', 'wbinvd', 'smsw %ax', 'lmsw %ax', 'arpl %ax,%bx', 'lar %eax,%ebx',
      'lsl %eax,%ebx', 'rsm', 'ud2a',
    ].map((l) => `\t${l}\n`).join(''),
    sites: [
      ['lgdt', /^lgdtl/], ['sgdt', /^sgdtl/], ['lidt', /^lidtl/], ['sidt', /^sidtl/], ['lds', /^lds/], ['les', /^les/],
      ['lfs', /^lfs/], ['lgs', /^lgs/], ['lss', /^lss/], ['clts', /^clts$/], ['lldt', /^lldt/], ['sldt', /^sldt/],
      ['ltr', /^ltr/], ['str', /^str/], ['invlpg', /^invlpg/], ['iret', /^iret$/], ['cpuid', /^cpuid$/], ['wrmsr', /^wrmsr$/],
      ['rdmsr', /^rdmsr$/], ['ud2', /^ud2$/], ['invd', /^invd$/], ['wbinvd', /^wbinvd$/], ['smsw', /^smsw/], ['lmsw', /^lmsw/],
      ['arpl', /^arpl/], ['lar', /^lar/], ['lsl', /^lsl/], ['rsm', /^rsm$/], ['ud2', /^ud2$/],
    ],
  },
  'macro and repeat bodies get a site per expansion': {
    source: '\t.macro irq_off\n\tcli\n\t.endm\n\tirq_off\n\tnop\n\tirq_off\n\t.rept 3\n\tsti\n\t.endr\n9999:\tjmp 9999b\n',
    sites: [['cli', /^cli$/], ['cli', /^cli$/], ['sti', /^sti$/], ['sti', /^sti$/], ['sti', /^sti$/]],
    report: { cli: 1, sti: 1 },
  },
  'intel syntax regions': {
    source: '\t.intel_syntax noprefix\n\tmov eax, cr0\n\tmov ds, ax\n\tpush ds\n\tmov eax, [ebx]\n\tpushfd\n\t.att_syntax prefix\n\tmovl (%ebx),%eax\n\tcli\n',
    sites: [['mov', /^mov %cr0,%eax$/], ['mov', /^mov %eax,%ds$/], ['push', /^push %ds$/], ['pushf', /^pushf$/], ['cli', /^cli$/]],
  },
  'compiler output, in and out of #APP blocks': {
    source: '\t.file\t"f.c"\n\t.text\n\t.globl\tf\n\t.type\tf, @function\nf:\n#APP\n# 3 "f.c" 1\n\tcli ; pushl %ds\n# 0 "" 2\n#NO_APP\n\tpopl\t%es\n\tud2\n\t.size\tf, .-f\n',
    sites: [['cli', /^cli$/], ['push', /^push %ds$/], ['pop', /^pop %es$/], ['ud2', /^ud2$/]],
  },
  'a file in no-app mode (first line #NO_APP: canonical spacing, no comments)': {
    source: '#NO_APP\n\t.text\nf:\n\tpushl %ds\n\tpopl %es\n\tud2\n',
    sites: [['push', /^push %ds$/], ['pop', /^pop %es$/], ['ud2', /^ud2$/]],
  },
};

/** The instruction stream with each site's padding removed, addresses masked (they shift). */
function withoutPadding(code: Instruction[], ranges: { begin: number; end: number }[]): string[] {
  const padding = new Set<number>();
  for (const r of ranges) {
    const first = code.find((i) => i.address === r.begin);
    for (let a = r.begin + (first?.length ?? 0); a < r.end; a++) padding.add(a);
  }
  return code
    .filter((i) => !padding.has(i.address))
    .map((i) => `${i.section} ${i.length} ${i.text.replace(/\b(?:0x)?1[0-9a-f]{3}\b/g, 'ADDR').replace(/<[^>]*>/g, '')}`);
}

const { dir, cleanup } = scratchDir();
let n = 0;
for (const [name, c] of Object.entries(cases)) {
  test(name, async () => {
    const id = `c${n++}`;
    const result = afterburnAssembly(c.source);
    const expectedReport: Record<string, number> = {};
    for (const [kind] of c.sites) expectedReport[kind] = (expectedReport[kind] ?? 0) + 1;
    assert.equal(result.sites, sortKeys(c.report ?? expectedReport), 'report');
    assert.is(result.output.split('\n').length, c.source.split('\n').length, 'line count unchanged');

    const [burnt, plain] = await Promise.all([
      assemble(dir, `${id}-ab`, result.output).then(link),
      assemble(dir, `${id}-plain`, c.plain ?? c.source).then(link),
    ]);
    const [ranges, code, plainCode] = await Promise.all([readAfterburnRanges(burnt), disassemble(burnt), disassemble(plain)]);
    assert.is(ranges.length, c.sites.length, 'number of .afterburn ranges');
    const byAddress = [...ranges].sort((a, b) => a.begin - b.begin);
    byAddress.forEach((r, k) => {
      const [kind, text] = c.sites[k]!;
      const i = code.findIndex((x) => x.address === r.begin);
      assert.ok(i >= 0, `an instruction starts at range ${k}`);
      assert.match(code[i]!.text, text, `site ${k} instruction`);
      const nops = code.slice(i + 1).filter((x) => x.address < r.end);
      assert.ok(nops.every((x) => x.text === 'nop' && x.length === 1), `site ${k} is followed only by one-byte NOPs`);
      assert.is(nops.length, pad(kind), `site ${k} (${kind}) padding`);
      assert.is(r.end, code[i]!.address + code[i]!.length + pad(kind), `site ${k} range end`);
    });
    assert.equal(withoutPadding(code, ranges), withoutPadding(plainCode, []), 'non-sensitive code unchanged');
    for (const section of ['.data', '.rodata']) {
      assert.is(await sectionBytes(burnt, section), await sectionBytes(plain, section), `${section} unchanged`);
    }
  });
}

function sortKeys(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)));
}

test.after(cleanup);
test.run();
