// Address spaces and the mapping database. Every space has a page directory and page tables in
// the kernel's reserved memory (the CPU walks them; user code never sees them), a kernel-area page
// table of its own (KIP, the current UTCB, GDT, TSS, I/O bitmap), and per 4 KiB page a mapping
// node recording where the page came from, so Unmap and space deletion revoke everything derived
// from it, recursively (ABI.md §4).
import type { Cpu } from '../../cpu/cpu.ts';
import { PAGE, KERNEL_AREA, KERNEL_SLOT, UTCB_VA, KIP_VA, GDT_VA, TSS_VA, IOBM_VA, IOBM_END_VA, W, hex } from './layout.ts';

/** Stops the run: the message says what the guest (or the model's limits) made impossible. */
export class L4Stop extends Error {}

/** Page allocator over the kernel's reserved memory: zeroed pages, reused when freed. */
export class KernelMemory {
  private next: number;
  private free: number[] = [];
  constructor(private readonly cpu: Cpu, start: number, private readonly end: number) {
    this.next = start;
  }
  alloc(what: string): number {
    const p = this.free.pop() ?? this.bump(what);
    this.cpu.ram.fill(0, p, p + PAGE);
    this.cpu.invalidateCode(p, PAGE);
    return p;
  }
  private bump(what: string): number {
    if (this.next + PAGE > this.end) throw new L4Stop(`out of kernel memory (${hex(this.end - this.next)} bytes left) allocating ${what}`);
    const p = this.next;
    this.next += PAGE;
    return p;
  }
  /** `n` adjacent fresh pages (never from the free list). */
  allocRun(n: number, what: string): number {
    const p = this.bump(what);
    for (let i = 1; i < n; i++) this.bump(what);
    this.cpu.ram.fill(0, p, p + n * PAGE);
    return p;
  }
  release(p: number): void {
    this.free.push(p);
  }
}

/** One 4 KiB mapping: a page of `space` at `va`, mapping `phys` with `rights`, derived from `parent` (null: σ0). */
export interface MapNode {
  space: Space;
  va: number;
  phys: number;
  writable: boolean;
  parent: MapNode | null;
  children: Set<MapNode>;
}

/** Kernel-area pages every space maps, by physical address. */
export interface KernelPages {
  kip: number;
  gdt: number;
  tss: number;
  /** Two pages of all-ones: a space with no ports uses them as its I/O bitmap (and the end byte). */
  denyBitmap: number;
}

export class Space {
  readonly pd: number;
  private readonly kl1: number;
  /** Page tables by directory slot. */
  private readonly tables = new Map<number, number>();
  /** Mappings by virtual page number. */
  readonly pages = new Map<number, MapNode>();
  /** This space's own I/O bitmap (two pages), once it was granted a port. */
  ioBitmap: number | null = null;
  threads = 0;

  constructor(readonly id: number, readonly privileged: boolean, private readonly cpu: Cpu, private readonly kmem: KernelMemory,
    k: KernelPages,
    /** Called after an entry that may be in the TLB changed (the kernel flushes it if this space is loaded). */
    private readonly changed: (space: Space, va: number) => void) {
    this.pd = kmem.alloc(`the page directory of space ${id}`);
    this.kl1 = kmem.alloc(`the kernel-area table of space ${id}`);
    const set = (va: number, e: number): void => cpu.physWrite32(this.kl1 + ((va >>> 12) & 0x3ff) * 4, e);
    set(KIP_VA, k.kip | 0x25); // present, user, read-only
    set(GDT_VA, k.gdt | 0x21); // supervisor, read-only
    set(TSS_VA, k.tss | 0x21);
    set(IOBM_VA, k.denyBitmap | 0x21);
    set(IOBM_VA + PAGE, (k.denyBitmap + PAGE) | 0x21);
    set(IOBM_END_VA, k.denyBitmap | 0x21);
    cpu.physWrite32(this.pd + KERNEL_SLOT * 4, this.kl1 | 0x27);
  }

  /** Points 0xFC001000 at a thread's UTCB (the caller flushes the TLB entry if this space is loaded). */
  setUtcb(phys: number): void {
    this.cpu.physWrite32(this.kl1 + ((UTCB_VA >>> 12) & 0x3ff) * 4, phys | 0x67);
  }

  /** Lets the space use ports [first, first + count): its own bitmap, zero bits for those ports. */
  grantPorts(first: number, count: number): void {
    if (this.ioBitmap === null) {
      this.ioBitmap = this.kmem.allocRun(2, `the I/O bitmap of space ${this.id}`);
      this.cpu.ram.fill(0xff, this.ioBitmap, this.ioBitmap + 2 * PAGE);
      this.cpu.physWrite32(this.kl1 + ((IOBM_VA >>> 12) & 0x3ff) * 4, this.ioBitmap | 0x21);
      this.cpu.physWrite32(this.kl1 + (((IOBM_VA + PAGE) >>> 12) & 0x3ff) * 4, (this.ioBitmap + PAGE) | 0x21);
    }
    for (let p = first; p < first + count && p < 0x10000; p++) this.cpu.ram[this.ioBitmap + (p >> 3)]! &= ~(1 << (p & 7));
  }

  /** Is port `p` in this space's bitmap? */
  hasPort(p: number): boolean {
    return this.ioBitmap !== null && (this.cpu.ram[this.ioBitmap + (p >> 3)]! & (1 << (p & 7))) === 0;
  }

  private table(va: number, create: boolean): number {
    const slot = va >>> 22;
    let t = this.tables.get(slot);
    if (t === undefined) {
      if (!create) return -1;
      t = this.kmem.alloc(`a page table of space ${this.id}`);
      this.tables.set(slot, t);
      this.cpu.physWrite32(this.pd + slot * 4, t | 0x07);
    }
    return t;
  }

  /** Installs a mapping node (the page must be in the user area); replaces what was there. */
  install(node: MapNode): void {
    if ((node.va >>> 0) >= KERNEL_AREA) throw new L4Stop(`a mapping at ${hex(node.va)} would land in the kernel area (0xfc000000 up)`);
    const vpn = node.va >>> 12;
    const t = this.table(node.va, true);
    this.pages.set(vpn, node);
    const at = t + (vpn & 0x3ff) * 4;
    const was = this.cpu.physRead32(at);
    this.cpu.physWrite32(at, (node.phys | 0x05 | (node.writable ? W : 0)) >>> 0);
    if (was & 1) this.changed(this, node.va);
  }

  /** Clears the page-table entry of `node` (which must be this space's) and forgets it. */
  remove(node: MapNode): void {
    const vpn = node.va >>> 12;
    if (this.pages.get(vpn) !== node) return;
    this.pages.delete(vpn);
    const t = this.table(node.va, false);
    if (t >= 0) this.cpu.physWrite32(t + (vpn & 0x3ff) * 4, 0);
    this.changed(this, node.va);
  }

  /** Rewrites the page-table entry of `node` after its rights changed. */
  rewrite(node: MapNode): void {
    const t = this.table(node.va, false);
    if (t >= 0) this.cpu.physWrite32(t + ((node.va >>> 12) & 0x3ff) * 4, (node.phys | 0x05 | (node.writable ? W : 0)) >>> 0);
    this.changed(this, node.va);
  }

  /** Mappings in [va, va + size), in address order. */
  nodesIn(va: number, size: number): MapNode[] {
    const first = va / PAGE, n = size / PAGE;
    const out: MapNode[] = [];
    if (n <= this.pages.size) {
      for (let p = first; p < first + n; p++) { const m = this.pages.get(p); if (m) out.push(m); }
    } else {
      for (const [p, m] of this.pages) if (p >= first && p < first + n) out.push(m);
      out.sort((a, b) => a.va - b.va);
    }
    return out;
  }

  /** Frees the page tables, the directory and the bitmap (the mappings must be gone). */
  destroy(): void {
    for (const t of this.tables.values()) this.kmem.release(t);
    this.tables.clear();
    this.kmem.release(this.kl1);
    this.kmem.release(this.pd);
    if (this.ioBitmap !== null) { this.kmem.release(this.ioBitmap); this.kmem.release(this.ioBitmap + PAGE); }
  }
}

/** The mapping database operations over nodes (ABI.md §4). */
export class MappingDb {
  mapped = 0;
  unmapped = 0;

  /** Maps `phys` at `va` in `space`, derived from `parent`; an existing identical derivation only has its rights updated. */
  map(space: Space, va: number, phys: number, writable: boolean, parent: MapNode | null): MapNode {
    const old = space.pages.get(va >>> 12);
    this.mapped++;
    if (old && old.phys === phys && old.parent === parent) {
      if (old.writable !== writable) {
        old.writable = writable;
        if (!writable) for (const c of old.children) this.revoke(c, true, false);
        space.rewrite(old);
      }
      return old;
    }
    if (old) this.revoke(old, false, true);
    const node: MapNode = { space, va, phys, writable, parent, children: new Set() };
    space.install(node);
    parent?.children.add(node);
    return node;
  }

  /**
   * Revokes rights from `node`: `writeOnly` makes it read-only, otherwise it is removed; the nodes
   * derived from it lose the same rights first. `self` false leaves `node` itself as it is.
   */
  revoke(node: MapNode, writeOnly: boolean, self: boolean): void {
    for (const c of [...node.children]) this.revoke(c, writeOnly, true);
    if (!self) return;
    if (writeOnly) {
      if (node.writable) { node.writable = false; node.space.rewrite(node); this.unmapped++; }
      return;
    }
    node.parent?.children.delete(node);
    node.space.remove(node);
    this.unmapped++;
  }
}
