// QEMU's isa-debug-exit device, placed at port 0xf4 (QEMU: -device isa-debug-exit,iobase=0xf4,
// iosize=0x04). A write of v ends the machine; QEMU exits with status (v << 1) | 1, and
// `world boot` exits with v itself, so a guest writes 0 for success. Reads return all-ones.
import type { AccessSize } from '../types.ts';
import type { PortDevice } from '../bus.ts';

export const DEBUG_EXIT_PORT = 0xf4;
export const DEBUG_EXIT_PORTS = 4;

export class DebugExit implements PortDevice {
  /** The value the guest wrote, or null while it runs. */
  value: number | null = null;

  constructor(private onExit: (value: number) => void) {}

  /** The exit status QEMU would give for the written value. */
  static qemuStatus(value: number): number {
    return ((value << 1) | 1) & 0xff;
  }

  ioRead(_port: number, size: AccessSize): number {
    return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  }

  ioWrite(_port: number, size: AccessSize, value: number): void {
    if (this.value !== null) return; // the first write wins; the machine is already stopping
    const mask = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    this.value = (value & mask) >>> 0;
    this.onExit(this.value);
  }
}
