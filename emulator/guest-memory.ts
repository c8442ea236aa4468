// Guest RAM and the CPU state a compiled block reads, laid out in one WebAssembly.Memory.
//
// A WebAssembly function can address only its memory, so a block compiled to WebAssembly (the
// backend emulator/README.md plans) must find guest RAM, the registers and the software TLB there.
// Every bus takes its RAM from allocateGuestRam, and the CPU takes its registers and TLB arrays
// from cpuState, views of the same memory after RAM:
//
//   0              guest RAM (ramBytes): a physical address is its offset
//   S              EAX..EDI, 8 x i32 (S: the end of RAM rounded up to 64 KiB)
//   S + 1 MiB      tlbR, tlbW, tlbX: one i32 per linear page each, 4 MiB apiece
//
// The memory is allocated at its final size and never grown: growing would detach the buffer
// under every view the CPU, the devices and generated code hold. JavaScript reads these views as
// it read its own typed arrays before, within the noise of side-by-side runs or about 1% (the
// memory has no huge pages; emulator/README.md step 29). The lazy flag record stays in fields:
// as typed-array slots it cost 3-5% (same step).
//
// V8 reserves about 10 GiB of address space for each WebAssembly memory (its guard regions).
// Where the process may not map that much (`ulimit -v`, as some clusters set), the memory is a
// plain ArrayBuffer with the same layout instead: everything in TypeScript works as before, and
// only code compiled to WebAssembly would need the real memory (wasmMemoryOf).

/** The part of WebAssembly's JavaScript API used here (the project's TypeScript libraries declare only its types). */
interface WasmMemoryApi {
  Memory: new (d: { initial: number; maximum: number }) => GuestWasmMemory;
}
/** A WebAssembly.Memory, as far as this module uses it. */
export interface GuestWasmMemory { readonly buffer: ArrayBuffer }
const Wasm = (globalThis as unknown as { WebAssembly: WasmMemoryApi }).WebAssembly;

const WASM_PAGE = 65536;
/** Linear pages of the 32-bit address space: one TLB entry each. */
const LINEAR_PAGES = 1 << 20;
// Offsets from S (see the top comment).
const REGS_AT = 0;
const TLB_R_AT = 1 << 20;
const TLB_W_AT = TLB_R_AT + LINEAR_PAGES * 4;
const TLB_X_AT = TLB_W_AT + LINEAR_PAGES * 4;
/** Bytes of CPU state after RAM. */
const CPU_STATE_BYTES = TLB_X_AT + LINEAR_PAGES * 4;

/** Byte offsets of the CPU state in the memory of RAM `ramBytes` long, as generated code addresses it. */
export interface StateLayout { regs: number; tlbR: number; tlbW: number; tlbX: number }

export function stateLayout(ramBytes: number): StateLayout {
  const at = Math.ceil(ramBytes / WASM_PAGE) * WASM_PAGE;
  return { regs: at + REGS_AT, tlbR: at + TLB_R_AT, tlbW: at + TLB_W_AT, tlbX: at + TLB_X_AT };
}

/** Guest RAM of `ramBytes`, zeroed, at offset 0 of a new memory with room for the CPU state after it. */
export function allocateGuestRam(ramBytes: number): Uint8Array {
  if (!Number.isInteger(ramBytes) || ramBytes < 0 || ramBytes % 4 !== 0) {
    throw new RangeError(`guest RAM must be a whole number of dwords, not ${ramBytes} bytes`);
  }
  const pages = (stateLayout(ramBytes).regs - REGS_AT + CPU_STATE_BYTES) / WASM_PAGE;
  let buffer: ArrayBuffer;
  try {
    const memory = new Wasm.Memory({ initial: pages, maximum: pages });
    buffer = memory.buffer;
    memories.set(buffer, memory);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    buffer = new ArrayBuffer(pages * WASM_PAGE);
  }
  return new Uint8Array(buffer, 0, ramBytes);
}

/** The WebAssembly memories allocateGuestRam made, by their buffer. */
const memories = new WeakMap<ArrayBuffer, GuestWasmMemory>();
/** The WebAssembly.Memory behind `ram`, or undefined where the host gave a plain buffer instead (see above). */
export function wasmMemoryOf(ram: Uint8Array): GuestWasmMemory | undefined {
  return memories.get(ram.buffer as ArrayBuffer);
}

/** The CPU's registers and TLB arrays: views of the memory behind `ram`. */
export interface CpuState {
  r: Int32Array;
  tlbR: Int32Array;
  tlbW: Int32Array;
  tlbX: Int32Array;
}

export function cpuState(ram: Uint8Array): CpuState {
  const at = stateLayout(ram.length);
  if (ram.byteOffset !== 0 || ram.buffer.byteLength < at.regs - REGS_AT + CPU_STATE_BYTES) {
    throw new Error('guest RAM must come from allocateGuestRam (emulator/guest-memory.ts)');
  }
  const buf = ram.buffer;
  return {
    r: new Int32Array(buf, at.regs, 8),
    tlbR: new Int32Array(buf, at.tlbR, LINEAR_PAGES),
    tlbW: new Int32Array(buf, at.tlbW, LINEAR_PAGES),
    tlbX: new Int32Array(buf, at.tlbX, LINEAR_PAGES),
  };
}
