// Bindings for the L4 model's system calls (emulator/hypervisors/l4/ABI.md), shared by the
// wedge's l4 back-end and the guest kernel's l4-pv arch layer. Header-only: each system call is
// one `int $0x30` with the registers the ABI names; message registers live in the current
// thread's UTCB at a fixed address.
#ifndef L4_H
#define L4_H

typedef unsigned int l4_word;

// --- thread ids (ABI section 2) ---
#define L4_NILTHREAD   0u
#define L4_ANYTHREAD   0xFFFFFFFFu
#define L4_TID(n)      (((l4_word)(n) << 14) | 1u)
#define L4_TNUM(t)     ((l4_word)(t) >> 14)
#define L4_IRQ_TID(l)  L4_TID(l)
#define L4_SIGMA0      L4_TID(16)
#define L4_MAIN        L4_TID(18)

// --- user selectors (ABI section 2) ---
#define L4_USER_CS 0x1B
#define L4_USER_DS 0x23

// --- kernel-area pages (ABI section 1) ---
#define L4_KIP_ADDR   0xFC000000u
#define L4_UTCB_ADDR  0xFC001000u
#define L4_KERNEL_AREA 0xFC000000u

struct l4_utcb {
  l4_word mr[64];
  l4_word br[33];
  l4_word pad[31];
  l4_word my_global_id;   // 0x200
  l4_word error_code;     // 0x204
  l4_word pager;          // 0x208
  l4_word user_handle;    // 0x20C
};
#define L4_UTCB ((volatile struct l4_utcb *)L4_UTCB_ADDR)

// --- message tags and labels (ABI sections 3.2, 5, 6, 7) ---
#define L4_TAG(label, t, u) (((l4_word)(label) << 16) | ((l4_word)(t) << 6) | (l4_word)(u))
#define L4_TAG_LABEL(tag)   ((tag) >> 16)
#define L4_TAG_U(tag)       ((tag) & 0x3F)
#define L4_TAG_T(tag)       (((tag) >> 6) & 0x3F)
#define L4_LABEL_PAGEFAULT  0xFFE0u   // (-2 << 4) | rwx
#define L4_LABEL_EXCEPTION  0xFFB0u   // -5 << 4
#define L4_LABEL_INTERRUPT  0xFFF0u   // -1 << 4
#define L4_LABEL_SIGMA0     0xFFA0u   // -6 << 4
#define L4_IS_PAGEFAULT(label) (((label) & 0xFFF0u) == L4_LABEL_PAGEFAULT)

// Exception message words (MR1..MR12), ABI section 5.
enum { L4_EXC_EIP = 1, L4_EXC_EFLAGS, L4_EXC_NUMBER, L4_EXC_ERROR, L4_EXC_EDI, L4_EXC_ESI,
       L4_EXC_EBP, L4_EXC_ESP, L4_EXC_EBX, L4_EXC_EDX, L4_EXC_ECX, L4_EXC_EAX, L4_EXC_WORDS = 12 };

// --- flexpages and map items (ABI section 3.2) ---
#define L4_R 4u
#define L4_W 2u
#define L4_X 1u
#define L4_RWX 7u
#define L4_FPAGE(base, log2, rights) (((l4_word)(base)) | ((l4_word)(log2) << 4) | (l4_word)(rights))
#define L4_COMPLETE_FPAGE  ((1u << 4))
#define L4_NIL_FPAGE       0u
#define L4_IOFPAGE(port, log2, rights) (((l4_word)(port) << 16) | ((l4_word)(log2) << 10) | 0x3C0u | (l4_word)(rights))
#define L4_MAP_ITEM0(send_base) ((((l4_word)(send_base)) & ~0x3FFu) | 0x8u)

// --- timeouts (ABI section 3.2) ---
#define L4_NEVER 0xFFFFFFFFu
#define L4_ZERO  0u

// --- error codes (ABI section 3.2) ---
#define L4_ERR_PHASE(e)   ((e) & 1u)        // 0 send, 1 receive
#define L4_ERR_CODE(e)    (((e) >> 1) & 7u)
#define L4_ERR_TIMEOUT    1u
#define L4_ERR_NOPARTNER  2u
#define L4_ERR_CANCELLED  3u

// --- ExchangeRegisters control and state bits (ABI section 3.4) ---
#define L4_XR_RESUME      0x001u
#define L4_XR_HALT        0x002u
#define L4_XR_CANCEL_SEND 0x004u
#define L4_XR_CANCEL_RECV 0x008u
#define L4_XR_SET_ESP     0x010u
#define L4_XR_SET_EIP     0x020u
#define L4_XR_SET_EFLAGS  0x040u
#define L4_XS_HALTED      0x1u
#define L4_XS_SENDING     0x2u
#define L4_XS_RECEIVING   0x4u
#define L4_XS_FAULTING    0x8u

// --- system call numbers (ABI section 3) ---
#define L4_SC_IPC          1
#define L4_SC_THREADCTL    2
#define L4_SC_EXREGS       3
#define L4_SC_UNMAP        4
#define L4_SC_CLOCK        5
#define L4_SC_THREADSWITCH 6
#define L4_SC_SCHEDULE     7

// --- boot info (ABI section 8) ---
struct l4_bootinfo {
  char magic[16];
  l4_word version, phys_end, boot_phys, boot_len, virt_base, mod_start, mod_len;
  l4_word my_tid, sigma0_tid, first_free_thread, last_thread, kip, utcb, cpu_khz;
  l4_word pad[14];
  char cmd_line[1024];                  // at offset 128
};
_Static_assert(__builtin_offsetof(struct l4_bootinfo, cmd_line) == 128, "boot info: cmd_line at 128 (ABI.md section 8)");

// Ipc: send MRs to `to` (nilthread: none), receive from `from` (nilthread: none) until the
// absolute µs time `timeout` (L4_NEVER, L4_ZERO). Returns the sender; *err gets the error code.
static inline l4_word l4_ipc(l4_word to, l4_word from, l4_word timeout, l4_word *err)
{
  l4_word eax = L4_SC_IPC, ecx = from;
  __asm__ volatile("int $0x30" : "+a"(eax), "+c"(ecx) : "b"(to), "d"(timeout) : "memory");
  if (err)
    *err = ecx;
  return eax;
}

static inline l4_word l4_call(l4_word to, l4_word *err) { return l4_ipc(to, to, L4_NEVER, err); }
static inline l4_word l4_send(l4_word to, l4_word *err) { return l4_ipc(to, L4_NILTHREAD, L4_NEVER, err); }
static inline l4_word l4_wait(l4_word timeout, l4_word *err) { return l4_ipc(L4_NILTHREAD, L4_ANYTHREAD, timeout, err); }
static inline l4_word l4_reply_wait(l4_word to, l4_word timeout, l4_word *err)
{
  return l4_ipc(to, L4_ANYTHREAD, timeout, err);
}

// ThreadControl: returns 1 on success, 0 on error (*err gets the code).
static inline l4_word l4_thread_control(l4_word dest, l4_word space, l4_word pager, l4_word *err)
{
  l4_word eax = L4_SC_THREADCTL, ecx = space;
  __asm__ volatile("int $0x30" : "+a"(eax), "+c"(ecx) : "b"(dest), "S"(pager) : "edx", "edi", "memory");
  if (err)
    *err = ecx;
  return eax;
}

struct l4_regs { l4_word eip, esp, eflags, state; };

// ExchangeRegisters: `in` supplies the values the control bits set; `out` gets the old ones.
static inline l4_word l4_exchange_registers(l4_word dest, l4_word control, const struct l4_regs *in,
                                            struct l4_regs *out)
{
  l4_word eax = L4_SC_EXREGS, ecx = control, edx = in ? in->eflags : 0, esi = in ? in->esp : 0,
          edi = in ? in->eip : 0;
  __asm__ volatile("int $0x30" : "+a"(eax), "+c"(ecx), "+d"(edx), "+S"(esi), "+D"(edi) : "b"(dest) : "memory");
  if (out) {
    out->eip = edi;
    out->esp = esi;
    out->eflags = edx;
    out->state = ecx;
  }
  return eax;
}

// Unmap MR0..MR(k): `count` flexpages already placed in the MRs (1..64); flush also drops the
// caller's own mappings.
static inline void l4_unmap(l4_word count, int flush)
{
  l4_word eax = L4_SC_UNMAP, ecx = ((count - 1) & 0x3F) | (flush ? 0x40 : 0);
  __asm__ volatile("int $0x30" : "+a"(eax), "+c"(ecx) : : "memory");
}

static inline unsigned long long l4_system_clock(void)
{
  l4_word eax = L4_SC_CLOCK, edx;
  __asm__ volatile("int $0x30" : "+a"(eax), "=d"(edx) : : "memory");
  return ((unsigned long long)edx << 32) | eax;
}

static inline void l4_thread_switch(l4_word dest)
{
  l4_word eax = L4_SC_THREADSWITCH;
  __asm__ volatile("int $0x30" : "+a"(eax) : "b"(dest) : "memory");
}

static inline l4_word l4_schedule(l4_word dest, l4_word prio)
{
  l4_word eax = L4_SC_SCHEDULE, ecx = prio;
  __asm__ volatile("int $0x30" : "+a"(eax), "+c"(ecx) : "b"(dest) : "memory");
  return eax;
}

// Ask σ0 for `fpage` (memory or I/O), received into `window` (BR0). Returns the Ipc error code.
static inline l4_word l4_sigma0_request(l4_word fpage, l4_word window)
{
  l4_word err;
  L4_UTCB->br[0] = window;
  L4_UTCB->mr[0] = L4_TAG(L4_LABEL_SIGMA0, 0, 2);
  L4_UTCB->mr[1] = fpage;
  L4_UTCB->mr[2] = 0;
  l4_call(L4_SIGMA0, &err);
  return err;
}

#endif
