// How a number is written in hexadecimal, everywhere: `hex` for messages (0x and the unsigned
// 32-bit value), `hexDigits` for fixed-width columns (traces, register dumps), without the 0x.
export function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

export function hexDigits(v: number, width: number): string {
  return (v >>> 0).toString(16).padStart(width, '0');
}
