// Shared by the afterburner tests: run GNU as, ld and objdump (the oracles) on scratch files.
import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRecords } from '../../afterburner/records.ts';

export function scratchDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'world-ab-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `body` with a fresh scratch folder, removed afterwards whether or not the body throws. */
export async function inScratch<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const { dir, cleanup } = scratchDir();
  try {
    return await body(dir);
  } finally {
    cleanup();
  }
}

/** Assembles `source` with `as --32`; throws with as's messages when it fails. */
export async function assemble(dir: string, name: string, source: string): Promise<string> {
  const s = join(dir, `${name}.s`);
  const o = join(dir, `${name}.o`);
  writeFileSync(s, source);
  const r = await execa('as', ['--32', '-o', o, s], { reject: false });
  if (r.exitCode !== 0 || r.stderr.trim() !== '') throw new Error(`as ${name}.s:\n${r.stderr}\n--- source ---\n${source}`);
  return o;
}

/** Links one object at 0x1000 so `.afterburn` holds final addresses. */
export async function link(obj: string): Promise<string> {
  const out = obj.replace(/\.o$/, '.elf');
  await execa('ld', ['-m', 'elf_i386', '-Ttext=0x1000', '-e', '0', '-o', out, obj]);
  return out;
}

/** Raw bytes of one section (objdump -s), or '' when the section is absent. */
export async function sectionBytes(file: string, section: string): Promise<string> {
  const r = await execa('objdump', ['-s', '-j', section, file], { reject: false });
  if (r.exitCode !== 0) return '';
  return r.stdout.split('\n').filter((l) => /^ [0-9a-f]+ /.test(l)).map((l) => l.slice(1).split('  ')[0]!.split(' ').slice(1).join('')).join('');
}

/** The [begin, end) ranges a section of records (afterburner/records.ts) names in a linked image,
 *  read with objdump. */
export async function recordRanges(elf: string, section: string): Promise<[number, number][]> {
  const r = await execa('objdump', ['-h', '-j', section, elf], { reject: false });
  const m = new RegExp(`\\s${section.replace('.', '\\.')}\\s+[0-9a-f]+\\s+([0-9a-f]+)`).exec(r.stdout);
  if (!m) return [];
  const hex = await sectionBytes(elf, section);
  return decodeRecords(parseInt(m[1]!, 16), Buffer.from(hex, 'hex')).map((s) => [s.begin, s.end]);
}
