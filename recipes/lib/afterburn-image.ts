// The afterburn check of a linked kernel image, for a build's report: the sites its `.afterburn`
// records per mnemonic, and every sensitive instruction GNU objdump finds outside them. The `as`
// drop-in sees only instructions written as mnemonics; one emitted as raw bytes (Linux's BUG()
// and WARN() write ud2 as `.byte 0x0f, 0x0b`) reaches the image unpadded and unrecorded, and is
// listed here by address and function instead. A record that disagrees with the disassembly
// (no sensitive instruction at its begin, wrong padding) is a fault of the afterburner, returned
// as `malformed` for the recipe to fail on.
import { validateAfterburnt } from '../../afterburner/validate.ts';

export interface ImageCheck {
  /** Sites recorded in the image, per mnemonic (kind of the instruction at each begin). */
  recorded: Record<string, number>;
  recordedTotal: number;
  /** Sensitive instructions outside every recorded site, per mnemonic. */
  unrecorded: Record<string, number>;
  unrecordedTotal: number;
  /** Each of them: `address <function> in section: instruction`, by address. */
  unrecordedAt: string[];
  /** Records objdump contradicts (empty for a correct afterburn). */
  malformed: string[];
}

const sorted = (m: Map<string, number>): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const k of [...m.keys()].sort()) out[k] = m.get(k)!;
  return out;
};

export async function checkImage(elf: string): Promise<ImageCheck> {
  const v = await validateAfterburnt(elf);
  const unrecorded = new Map<string, number>();
  const unrecordedAt: string[] = [];
  const malformed: string[] = [];
  for (const x of v.violations) {
    if (x.kind === 'unlisted') {
      // The validator's message ends `ADDRESS <function> in SECTION: INSTRUCTION`.
      const where = x.message.replace(/^sensitive instruction outside every \.afterburn range: /, '');
      const kind = x.site ?? 'unknown';
      unrecorded.set(kind, (unrecorded.get(kind) ?? 0) + 1);
      unrecordedAt.push(where);
    } else {
      malformed.push(`${x.kind}: ${x.message}`);
    }
  }
  const recorded = new Map<string, number>();
  for (const [kind, n] of Object.entries(v.sensitive)) {
    const inside = n - (unrecorded.get(kind) ?? 0);
    if (inside > 0) recorded.set(kind, inside);
  }
  const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  return {
    recorded: sorted(recorded), recordedTotal: total(recorded),
    unrecorded: sorted(unrecorded), unrecordedTotal: total(unrecorded),
    unrecordedAt, malformed,
  };
}
