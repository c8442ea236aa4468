// Frame bytes: every frame the NIC, a back-end's network device or the peer builds takes its
// buffer from here. A Uint8Array made on its own (`new Uint8Array(n)`) gets a backing store
// allocated, zeroed and accounted outside V8's heap, about 3 us for a full-size frame on the
// 2-core machine, and a netperf run makes about 1.1 M frames per GiB moved. A view into a shared
// slab costs about a tenth of that. Each slab is zeroed when made and each of its bytes handed out
// once, so a frame starts zeroed as `new Uint8Array(n)` does; a slab is freed by the garbage
// collector once no frame in it is referenced. Host time only: no frame's bytes change.

/** Bytes per slab: small, so that one frame held for long (a FIFO, a capture) pins little. */
const SLAB_BYTES = 256 * 1024;
/** Frames start at a multiple of 8 bytes into their slab, as a buffer of their own would start
 *  aligned (the checksum takes a faster path over aligned words). */
const ALIGN = 8;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A zeroed buffer of `len` bytes for a frame. */
export function frameBuffer(len: number): Uint8Array {
  if (len > SLAB_BYTES / 16) return new Uint8Array(len);
  if (used + len > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const f = new Uint8Array(slab, used, len);
  used += (len + ALIGN - 1) & -ALIGN;
  return f;
}
