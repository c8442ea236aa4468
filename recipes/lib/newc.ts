// The newc ("070701") cpio format Linux unpacks as an initramfs (the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte header of
// the magic and 13 eight-digit hex fields, the NUL-terminated name padded to 4 bytes, the data
// padded to 4 bytes; a final "TRAILER!!!" entry. Owners, times and inode numbers are fixed by
// the entry order, so the same entries always give the same bytes (no root, no host clock).

export type NewcEntry =
  | { type: 'file'; name: string; data: Uint8Array; mode: number }
  | { type: 'dir'; name: string; mode: number }
  | { type: 'char'; name: string; mode: number; major: number; minor: number };

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFCHR = 0o020000;

export function newcArchive(entries: readonly NewcEntry[]): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  const put = (b: Buffer): void => { parts.push(b); size += b.length; };
  const align = (): void => { if (size % 4 !== 0) put(Buffer.alloc(4 - (size % 4))); };
  const entry = (ino: number, mode: number, nlink: number, name: string, data: Uint8Array, major = 0, minor = 0): void => {
    const nameBytes = Buffer.from(name + '\0', 'utf8');
    // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
    const fields = [ino, mode, 0, 0, nlink, 0, data.length, 0, 0, major, minor, nameBytes.length, 0];
    put(Buffer.from('070701' + fields.map((f) => (f >>> 0).toString(16).padStart(8, '0')).join(''), 'ascii'));
    put(nameBytes);
    align();
    put(Buffer.from(data));
    align();
  };
  entries.forEach((e, i) => {
    if (e.name.startsWith('/') || e.name === '') throw new Error(`cpio entry name must be relative: '${e.name}'`);
    if (e.type === 'file') entry(i + 1, S_IFREG | e.mode, 1, e.name, e.data);
    else if (e.type === 'dir') entry(i + 1, S_IFDIR | e.mode, 2, e.name, new Uint8Array(0));
    else entry(i + 1, S_IFCHR | e.mode, 1, e.name, new Uint8Array(0), e.major, e.minor);
  });
  entry(0, 0, 1, 'TRAILER!!!', new Uint8Array(0));
  return Buffer.concat(parts);
}
