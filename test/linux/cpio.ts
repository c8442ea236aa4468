// A newc ("070701") cpio archive, the format Linux unpacks as an initramfs: for each entry a
// 110-byte ASCII header (13 eight-digit hex fields), the name with its NUL padded to 4 bytes, the
// data padded to 4 bytes; then the "TRAILER!!!" entry. Format from the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst. Every timestamp and owner is zero so
// the same files give the same bytes.

export type CpioEntry =
  | { kind: 'file'; name: string; data: Uint8Array; mode?: number }
  | { kind: 'dir'; name: string }
  | { kind: 'chardev'; name: string; major: number; minor: number };

const S_IFREG = 0o100000, S_IFDIR = 0o040000, S_IFCHR = 0o020000;

/** The archive for `entries`, in the order given (a directory must come before what it holds). */
export function newcArchive(entries: CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array): void => {
    parts.push(b);
    size += b.length;
  };
  const pad = (): void => {
    if (size % 4) push(new Uint8Array(4 - (size % 4)));
  };
  const add = (ino: number, mode: number, name: string, data: Uint8Array, rdev: [number, number] = [0, 0]): void => {
    const nameBytes = new TextEncoder().encode(name + '\0');
    const fields = [ino, mode, 0, 0, mode & S_IFDIR ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
    push(new TextEncoder().encode('070701' + fields.map((f) => f.toString(16).padStart(8, '0')).join('')));
    push(nameBytes);
    pad();
    push(data);
    pad();
  };
  entries.forEach((e, i) => {
    if (e.kind === 'file') add(i + 1, S_IFREG | (e.mode ?? 0o755), e.name, e.data);
    else if (e.kind === 'dir') add(i + 1, S_IFDIR | 0o755, e.name, new Uint8Array(0));
    else add(i + 1, S_IFCHR | 0o600, e.name, new Uint8Array(0), [e.major, e.minor]);
  });
  add(0, 0, 'TRAILER!!!', new Uint8Array(0));
  return Buffer.concat(parts);
}

/** The guest's initramfs: /init, /dev/console (the kernel opens it for init's stdio) and /proc. */
export function initramfs(init: Uint8Array): Uint8Array {
  return newcArchive([
    { kind: 'dir', name: 'dev' },
    { kind: 'chardev', name: 'dev/console', major: 5, minor: 1 },
    { kind: 'dir', name: 'proc' },
    { kind: 'file', name: 'init', data: init },
  ]);
}
