// The ELF loader: maps the PT_LOAD segments of a static ELF32 i386 executable (a user program
// embedded in the kernel image) into a user address space.
#include "defs.h"
#include "memlayout.h"

#define ELF_MAGIC 0x464C457Fu   // "\x7fELF" little-endian
#define ET_EXEC 2
#define EM_386 3
#define PT_LOAD 1

struct elfhdr {
  u32 magic;
  u8 class, data, version, osabi, pad[8];
  u16 type, machine;
  u32 version2, entry, phoff, shoff, flags;
  u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct proghdr {
  u32 type, off, vaddr, paddr, filesz, memsz, flags, align;
};

static int segment_ok(const struct proghdr *ph, u32 size)
{
  return ph->off + ph->filesz >= ph->off && ph->off + ph->filesz <= size &&
         ph->filesz <= ph->memsz && ph->vaddr >= USERBASE &&
         ph->vaddr + ph->memsz >= ph->vaddr &&
         ph->vaddr + ph->memsz <= USERTOP - USTACK_PAGES * PGSIZE;
}

int elf_load(u32 *pgdir, const u8 *image, u32 size, u32 *entry)
{
  const struct elfhdr *eh = (const struct elfhdr *)image;
  if (size < sizeof *eh || eh->magic != ELF_MAGIC || eh->class != 1 ||
      eh->type != ET_EXEC || eh->machine != EM_386 || eh->phentsize != sizeof(struct proghdr) ||
      eh->phoff + eh->phnum * sizeof(struct proghdr) > size)
    return -1;
  const struct proghdr *ph = (const struct proghdr *)(image + eh->phoff);
  for (int i = 0; i < eh->phnum; i++, ph++) {
    if (ph->type != PT_LOAD)
      continue;
    if (!segment_ok(ph, size) || uvm_alloc(pgdir, ph->vaddr, ph->memsz) < 0 ||
        uvm_copyout(pgdir, ph->vaddr, image + ph->off, ph->filesz) < 0)
      return -1;
  }
  *entry = eh->entry;
  return 0;
}
