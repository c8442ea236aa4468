// Page-table write sites: the afterburner's `.afterburn_pt` section, records in the format of
// `.afterburn` (begin relative to the record, then length: afterburner/records.ts), each a 32-bit store the guest's source marked as a
// page-table write, padded with NOPs. The rewriter turns each into a call of the pt_store stub
// (ia32/stubs.S), which hands the entry's address and the value to the back-end's page-table
// path (be_pt_store):
//   pushl src            the value: the store's register, or its immediate
//   pushl %eax           saved; the stub restores it
//   leal m, %eax         the entry's address: the store's own memory operand (movl $addr, %eax
//                        for the 5-byte `mov %eax, addr`)
//   call *ws_ptr_pt_store
// 8 bytes more than the store with either source (the afterburner's PT_PADDING).
#include "ptsites.h"
#include "decode.h"
#include "elf.h"
#include "lib.h"

static int rewrite_one(u8 *code, u32 len, u32 slot, const char **why)
{
  struct store st;
  u8 out[64];
  u32 n = 0;
  if (decode_store(code, len, &st) < 0) {
    *why = "not a 32-bit store (mov %reg or $imm32 to memory)";
    return -1;
  }
  for (u32 i = st.len; i < len; i++)
    if (code[i] != 0x90) {
      *why = "site padding is not NOPs";
      return -1;
    }
  if (st.mem_esp) {
    *why = "ESP-relative destination";       // the pushes would move it
    return -1;
  }
  if (st.moffs) {
    out[n++] = 0x50;                          // pushl %eax (the value)
  } else if (st.imm_src && (s32)st.imm >= -128 && (s32)st.imm <= 127) {
    out[n++] = 0x6A;                          // pushl $imm8
    out[n++] = (u8)st.imm;
  } else if (st.imm_src) {
    out[n++] = 0x68;                          // pushl $imm32
    for (int i = 0; i < 4; i++)
      out[n++] = (u8)(st.imm >> (8 * i));
  } else {
    out[n++] = (u8)(0x50 + st.reg);           // pushl %reg
  }
  out[n++] = 0x50;                            // pushl %eax
  if (st.moffs) {
    out[n++] = 0xB8;                          // movl $addr, %eax (A3 is 5 bytes: lea would not fit)
    for (int i = 0; i < 4; i++)
      out[n++] = (u8)(st.imm >> (8 * i));
  } else {
    out[n++] = 0x8D;                          // leal m, %eax
    out[n++] = code[st.mem_off] & 0xC7;
    for (u32 i = 1; i < st.mem_len; i++)
      out[n++] = code[st.mem_off + i];
  }
  out[n++] = 0xFF;                            // call *slot
  out[n++] = 0x15;
  for (int i = 0; i < 4; i++)
    out[n++] = (u8)(slot >> (8 * i));
  if (n > len) {
    *why = "replacement does not fit the site";
    return -1;
  }
  for (u32 i = 0; i < n; i++)
    code[i] = out[i];
  for (u32 i = n; i < len; i++)
    code[i] = 0x90;
  return 0;
}

int pt_sites_count(const u8 *img, u32 len)
{
  const struct elf32_shdr *sec = elf_section(img, len, ".afterburn_pt");
  return sec ? (int)(sec->size / 8) : 0;
}

int rewrite_pt_sites(u8 *img, u32 len, u32 slot, s32 skip)
{
  const struct elf32_shdr *sec = elf_section(img, len, ".afterburn_pt");
  if (!sec)
    return 0;
  if (sec->offset > len || sec->size > len - sec->offset || sec->size % 8) {
    wprintf("[wedge] .afterburn_pt section is malformed (size %u)\n", sec->size);
    return -1;
  }
  if (!slot) {
    wprintf("[wedge] no pt_store stub\n");
    return -1;
  }
  const u32 *rec = (const u32 *)(img + sec->offset);
  u32 nsites = sec->size / 8, done = 0;
  for (u32 i = 0; i < nsites; i++) {
    u32 begin = sec->addr + 8 * i + rec[2 * i], end = begin + rec[2 * i + 1];
    s32 off = end > begin && end - begin <= 64 ? elf_va_offset(img, begin, end - begin) : -1;
    const char *why = "not inside the loaded image";
    if ((s32)i == skip || skip == PT_SKIP_ALL)
      continue;
    if (off < 0 || rewrite_one(img + off, end - begin, slot, &why) < 0) {
      wprintf("[wedge] page-table site %u at 0x%08x (%u bytes): %s\n", i, begin, end - begin, why);
      return -1;
    }
    done++;
  }
  return (int)done;
}
