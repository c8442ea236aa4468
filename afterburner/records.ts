// The format of one site record in section `.afterburn`, written by the rewriter and read back by
// the validator (the wedge's C reader, guests/wedge/ia32/sites.c, follows the same layout).
//
// A record is two 32-bit little-endian words: the site's begin relative to the record's own
// address (`begin - .`), then the site's length in bytes (`end - begin`). Both are
// position-independent on purpose. An absolute address (`.long begin`) needs an R_386_32
// relocation, which a shared object keeps as a dynamic relocation and a -pie link as a run-time
// one: Linux's 32-bit vDSO (a shared object that must have none) and its compressed boot wrapper
// (linked -pie, with assertions that .rel.dyn is empty) both refuse it. A PC-relative word is
// resolved by the static linker whatever the output is (an executable, a shared object, a PIE),
// and the length is a constant the assembler resolves itself. So every object gcc builds can be
// annotated, and a record stays right when its image is loaded at another address.
// (Linux's own exception tables moved to self-relative entries for the same reason.)

/** Bytes per record. */
export const RECORD_SIZE = 8;

/** The assembler expression list of the record for a site between labels `begin` and `end`. */
export function recordWords(begin: string, end: string): string {
  return `${begin} - ., ${end} - ${begin}`;
}

export interface SiteRange {
  begin: number;
  end: number;
}

/**
 * Decodes the records of a linked `.afterburn` section whose first byte is at `address`.
 * A negative length (which no rewriter writes) is kept as an end before the begin, so that a
 * checker can report it instead of reading a huge range.
 */
export function decodeRecords(address: number, bytes: Uint8Array): SiteRange[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: SiteRange[] = [];
  for (let i = 0; i + RECORD_SIZE <= bytes.length; i += RECORD_SIZE) {
    const begin = (address + i + view.getInt32(i, true)) >>> 0;
    const end = begin + view.getInt32(i + 4, true);
    out.push({ begin, end });
  }
  return out;
}
