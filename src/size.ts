// The one size grammar, shared by every size flag (--bytes, --message, --transfer, --mem) and
// world.yaml (bench.transfer, bench.message): a whole number with an optional binary unit, B,
// K or KiB, M or MiB, G or GiB, in any case (1K = 1KiB = 1024 bytes; no decimal units, so "MB"
// is refused rather than guessed). A bare number means bytes, except where the flag's help says
// otherwise: --mem reads a bare number as MiB, as QEMU's -m does.

export const SIZE_UNITS = 'B, K/KiB, M/MiB or G/GiB (binary: 1K = 1024)';

const UNIT: Record<string, number> = { b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 };

/** The size `text` writes, in bytes; `bareUnit` is what a number without a unit counts. Undefined when `text` is not a size. */
export function parseSize(text: string, bareUnit = 1): number | undefined {
  const m = /^(\d+)\s*([A-Za-z]*)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = m[2] === '' ? bareUnit : UNIT[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) ? n : undefined;
}
