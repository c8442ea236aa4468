// Device-memory sites (DEV=virt): the afterburner's `.afterburn_mmio` section, records in the
// format of `.afterburn`, one per instruction that profile feedback found touching device memory
// (afterburner/feedback.ts). The afterburner pads them with nothing (on hardware and under the
// direct-access wedges they are plain moves), so only a site of 6 bytes or more has room for the
// wedge's call: it becomes `call *ws_ptr_mmio` and NOPs, and the stub finds the site's decoded
// move by its return address (mmio_site) and does it on the emulated NIC without a fault. A
// shorter site (a 2- or 3-byte move through a register) stays as it is and reaches the wedge by
// the page fault on the unmapped device page, the safety net that also catches any access the
// profile missed.
#ifdef WEDGE_DEVVIRT
#include "mmiosites.h"
#include "decode.h"
#include "elf.h"
#include "lib.h"

#define CALL_LEN 6
static struct mmio_site sites[MMIO_SITES_MAX];
static u32 nsites;

const struct mmio_site *mmio_site(u32 ret)
{
  for (u32 i = 0; i < nsites; i++)
    if (sites[i].ret == ret)
      return &sites[i];
  return 0;
}

int rewrite_mmio_sites(u8 *img, u32 len, u32 slot, u32 *left)
{
  const struct elf32_shdr *sec = elf_section(img, len, ".afterburn_mmio");
  *left = 0;
  if (!sec)
    return 0;
  if (sec->offset > len || sec->size > len - sec->offset || sec->size % 8 || !slot) {
    wprintf("[wedge] .afterburn_mmio section is malformed (size %u) or no mmio stub\n", sec->size);
    return -1;
  }
  const u32 *rec = (const u32 *)(img + sec->offset);
  u32 n = sec->size / 8;
  for (u32 i = 0; i < n; i++) {
    u32 begin = sec->addr + 8 * i + rec[2 * i], end = begin + rec[2 * i + 1];
    s32 off = end > begin && end - begin <= 16 ? elf_va_offset(img, begin, end - begin) : -1;
    if (off < 0) {
      wprintf("[wedge] device-memory site %u at 0x%08x: not inside the loaded image\n", i, begin);
      return -1;
    }
    u8 *code = img + off;
    struct mmio_site s = { 0 };
    struct store st;
    if (decode_store(code, end - begin, &st) == 0 && !st.moffs)
      s.store = 1;
    else if (decode_load(code, end - begin, &st) < 0 || st.moffs)
      st.len = 0;
    // A move the wedge can replace: 32 bits, a ModRM operand not based on ESP, room for the call.
    if (!st.len || st.len != end - begin || st.mem_esp || st.len < CALL_LEN || st.mem_len > sizeof s.modrm ||
        nsites == MMIO_SITES_MAX) {
      (*left)++;
      continue;
    }
    s.ret = begin + CALL_LEN;
    s.reg = st.reg;
    s.imm_src = st.imm_src;
    s.imm = st.imm;
    for (u32 k = 0; k < st.mem_len; k++)
      s.modrm[k] = code[st.mem_off + k];
    sites[nsites++] = s;
    code[0] = 0xFF;                       // call *slot
    code[1] = 0x15;
    for (int k = 0; k < 4; k++)
      code[2 + k] = (u8)(slot >> (8 * k));
    for (u32 k = CALL_LEN; k < st.len; k++)
      code[k] = 0x90;
  }
  return (int)nsites;
}
#endif
