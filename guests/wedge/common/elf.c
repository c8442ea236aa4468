// ELF32 helpers. Every offset read from the image is checked against its length: the image
// comes from outside the wedge.
#include "elf.h"
#include "lib.h"

const char *elf_check(const u8 *img, u32 len)
{
  const struct elf32_ehdr *h = (const void *)img;
  if (len < sizeof *h || memcmp(img, "\177ELF", 4) != 0)
    return "not an ELF file";
  if (img[4] != 1 || img[5] != 1 || h->machine != 3)
    return "not a 32-bit little-endian x86 ELF";
  if (h->phentsize != sizeof(struct elf32_phdr) || h->phoff > len ||
      (u32)h->phnum * sizeof(struct elf32_phdr) > len - h->phoff)
    return "bad program headers";
  if (h->shnum && (h->shentsize != sizeof(struct elf32_shdr) || h->shoff > len ||
                   (u32)h->shnum * sizeof(struct elf32_shdr) > len - h->shoff || h->shstrndx >= h->shnum))
    return "bad section headers";
  for (u32 i = 0; i < h->phnum; i++) {
    const struct elf32_phdr *p = elf_phdr(img, i);
    if (p->type == PT_LOAD && (p->offset > len || p->filesz > len - p->offset || p->filesz > p->memsz))
      return "a loadable segment lies outside the file";
  }
  return NULL;
}

const struct elf32_phdr *elf_phdr(const u8 *img, u32 i)
{
  const struct elf32_ehdr *h = (const void *)img;
  return (const void *)(img + h->phoff + i * sizeof(struct elf32_phdr));
}

const struct elf32_shdr *elf_section(const u8 *img, u32 len, const char *name)
{
  const struct elf32_ehdr *h = (const void *)img;
  if (!h->shnum)
    return NULL;
  const struct elf32_shdr *sh = (const void *)(img + h->shoff);
  const struct elf32_shdr *strs = &sh[h->shstrndx];
  u32 nlen = strlen(name);
  for (u32 i = 0; i < h->shnum; i++) {
    if (sh[i].name >= strs->size || strs->offset > len || strs->size > len - strs->offset)
      continue;
    const char *s = (const char *)img + strs->offset + sh[i].name;
    if (sh[i].name + nlen + 1 <= strs->size && memcmp(s, name, nlen + 1) == 0)
      return &sh[i];
  }
  return NULL;
}

s32 elf_va_offset(const u8 *img, u32 va, u32 n)
{
  const struct elf32_ehdr *h = (const void *)img;
  for (u32 i = 0; i < h->phnum; i++) {
    const struct elf32_phdr *p = elf_phdr(img, i);
    if (p->type == PT_LOAD && va >= p->vaddr && va - p->vaddr <= p->filesz && n <= p->filesz - (va - p->vaddr))
      return (s32)(p->offset + (va - p->vaddr));
  }
  return -1;
}
