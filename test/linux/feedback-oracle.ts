// The oracles of the Linux profile-feedback tests: GNU objdump's text of an instruction (is it a
// store the afterburner may make a page-table site?) and GNU addr2line's source line of an
// address in vmlinux (the line table `world netperf --feedback-out` reads), and the committed
// feedback file itself.
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseFeedback, normalizeSourcePath, type Feedback } from '../../afterburner/feedback.ts';

const feedbackFile = fileURLToPath(new URL('../../feedback/linux.txt', import.meta.url));

export function linuxFeedback(): Feedback {
  return parseFeedback(readFileSync(feedbackFile, 'utf8'), feedbackFile);
}

/** A store the afterburner may make a page-table site, as objdump prints it: `mov` of a 32-bit
 *  register (not %esp) or `movl` of an immediate to memory, without a segment override. */
const WORD_STORE = /^(?:mov\s+%e(?:ax|bx|cx|dx|si|di|bp)|movl\s+\$0x[0-9a-f]+),([^%].*)$/;
export const isWordStore = (text: string): boolean => WORD_STORE.test(text);
/** ... addressed through %esp, which the afterburner leaves plain. */
export const onStack = (text: string): boolean => /%esp\)$/.test(text);

/** addr2line's `file:line` of each address (paths normalized as --feedback-out writes them). */
export async function sourceLines(elf: string, addresses: number[]): Promise<string[]> {
  const r = await execa('addr2line', ['-e', elf], { input: addresses.map((a) => `0x${a.toString(16)}`).join('\n'), maxBuffer: 1 << 28 });
  const out = r.stdout.split('\n');
  if (out.length !== addresses.length) throw new Error(`addr2line gave ${out.length} lines for ${addresses.length} addresses`);
  return out.map((l) => {
    const m = /^(.*):(\d+|\?)(?: \(discriminator \d+\))?$/.exec(l.trim());
    return m ? `${normalizeSourcePath(m[1]!)}:${m[2]}` : l;
  });
}

/** objdump's text of the instruction at each address. */
export async function instructionsAt(elf: string, addresses: number[]): Promise<string[]> {
  const out: string[] = [];
  for (const a of addresses) {
    const d = await execa('objdump', ['-d', '-w', `--start-address=0x${a.toString(16)}`, `--stop-address=0x${(a + 16).toString(16)}`, elf]);
    const first = d.stdout.split('\n').find((l) => /^\s*[0-9a-f]+:\t/.test(l));
    out.push((first?.split('\t')[2] ?? '').trim());
  }
  return out;
}
