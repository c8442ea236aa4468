// The TLB's capacity: which translations a TLB of a fixed number of entries holds, and which one a
// new translation pushes out. The emulator's TLB arrays (mmu.ts) are indexed by linear page and
// could hold every page; this set says which of them the modelled hardware TLB still has, so the
// MMU can drop the entry of a translation the hardware would have evicted and the next access
// walks the page tables again, as on the Pentium 4.
//
// A translation is one tag: a 4 KiB page's linear page number, or LARGE_TAG + the 4 MiB page's
// number for a PSE mapping (one entry covers the whole large page; the Pentium 4's TLBs map both
// sizes, Intel SDM vol. 2A, CPUID leaf 2, descriptors 50H and 5BH). The set is fully associative
// with first-in-first-out replacement: an estimate (the Pentium 4's replacement policy is not
// published), chosen because it needs no bookkeeping on a TLB hit, which stays one array load on
// the hot path. Deterministic: the order of fills alone decides what is evicted. A resident
// translation also holds the mapping's dirty bit as walked: a write through one held clean walks
// again to set it (mmu.ts countLookup), as the processor does.

/** The tag of a 4 MiB page: LARGE_TAG + (linear address >>> 22). */
export const LARGE_TAG = 1 << 20;
const TAGS = LARGE_TAG + 1024;
/** The capacity of a set that never evicts: the unbounded TLB (a profile's 0 entries). */
export const UNBOUNDED = TAGS;

export class TlbSet {
  /** Resident tags, oldest first. */
  private readonly tags: Int32Array;
  /** 1 where tags[i] came from a global mapping (survives a CR3 load). */
  private readonly global: Uint8Array;
  private count = 0;
  /** 1 for each resident tag. */
  private readonly resident = new Uint8Array(TAGS);
  /** 1 for each resident tag whose translation was filled or last walked with the dirty bit set. */
  private readonly dirty = new Uint8Array(TAGS);
  /** Translations evicted to make room, over the set's life. */
  evictions = 0;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new Error(`TLB capacity must be positive, got ${capacity}`);
    this.tags = new Int32Array(capacity);
    this.global = new Uint8Array(capacity);
  }

  has(tag: number): boolean {
    return this.resident[tag] === 1;
  }

  /** Whether a resident translation holds the dirty bit (a write through it needs no walk). */
  isDirty(tag: number): boolean {
    return this.dirty[tag] === 1;
  }

  /**
   * Makes a translation resident, holding the mapping's dirty bit as walked. Returns the tag
   * evicted to make room for it, or -1.
   */
  insert(tag: number, global: boolean, dirty: boolean): number {
    if (dirty) this.dirty[tag] = 1;
    if (this.resident[tag]) return -1;
    if (!dirty) this.dirty[tag] = 0;
    let victim = -1;
    if (this.count === this.capacity) {
      victim = this.tags[0]!;
      this.resident[victim] = 0;
      this.tags.copyWithin(0, 1, this.count);
      this.global.copyWithin(0, 1, this.count);
      this.count--;
      this.evictions++;
    }
    this.tags[this.count] = tag;
    this.global[this.count] = global ? 1 : 0;
    this.count++;
    this.resident[tag] = 1;
    return victim;
  }

  /** Drops one translation (invlpg). Returns whether it was resident. */
  remove(tag: number): boolean {
    if (!this.resident[tag]) return false;
    this.resident[tag] = 0;
    let j = 0;
    for (let i = 0; i < this.count; i++) {
      if (this.tags[i] === tag) continue;
      this.tags[j] = this.tags[i]!;
      this.global[j] = this.global[i]!;
      j++;
    }
    this.count = j;
    return true;
  }

  /** Drops every translation, or (keepGlobal: a CR3 load) every one not from a global mapping. */
  flush(keepGlobal: boolean): void {
    let j = 0;
    for (let i = 0; i < this.count; i++) {
      const tag = this.tags[i]!;
      if (keepGlobal && this.global[i]) {
        this.tags[j] = tag;
        this.global[j] = 1;
        j++;
      } else {
        this.resident[tag] = 0;
      }
    }
    this.count = j;
  }

  /** How many translations are resident. */
  get size(): number {
    return this.count;
  }
}
