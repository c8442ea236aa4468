// ELF32 reading for the guest kernel image the hypervisor hands the wedge: program headers
// to load it, section headers to find .afterburn, virtual address to file offset.
#ifndef WEDGE_ELF_H
#define WEDGE_ELF_H

#include "types.h"

struct elf32_ehdr {
  u8 ident[16];
  u16 type, machine;
  u32 version, entry, phoff, shoff, flags;
  u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr { u32 type, offset, vaddr, paddr, filesz, memsz, flags, align; };

struct elf32_shdr { u32 name, type, flags, addr, offset, size, link, info, addralign, entsize; };

#define PT_LOAD 1
#define PT_NOTE 4

// NULL if the image is a valid 32-bit x86 executable, else what is wrong.
const char *elf_check(const u8 *img, u32 len);
const struct elf32_phdr *elf_phdr(const u8 *img, u32 i);
// The section called name, or NULL.
const struct elf32_shdr *elf_section(const u8 *img, u32 len, const char *name);
// File offset of the byte the image places at virtual address va (n bytes from there must be
// in the file), or -1.
s32 elf_va_offset(const u8 *img, u32 va, u32 n);

#endif
