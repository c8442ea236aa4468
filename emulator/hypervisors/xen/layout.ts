// Xen's numbers and layouts as ABI.md states them: selectors, the hypervisor hole, hypercall and
// sub-command numbers, structure offsets. One place, so the code and the document agree.

export const PAGE = 4096;
export const XEN_RESERVED = 4 << 20;
export const HYPERVISOR_VIRT_START = 0xfc000000;
export const HOLE_FIRST_SLOT = HYPERVISOR_VIRT_START >>> 22; // 0x3f0
export const WEDGE_VIRT_BASE = 0xf8000000;

export const FLAT_RING1_CS = 0xe019;
export const FLAT_RING1_DS = 0xe021;
export const FLAT_RING3_CS = 0xe02b;
export const FLAT_RING3_DS = 0xe033;
/** First GDT entry Xen reserves (14 pages of 512 entries for the guest). */
export const FIRST_RESERVED_GDT_ENTRY = 14 * 512;
/** Bytes of Xen's GDT: up to and including FLAT_RING3_DS. */
export const GDT_BYTES = (FLAT_RING3_DS & ~7) + 8;

export const HYPERCALL_VECTOR = 0x82;
/** The vector the interrupt line presents when only an event upcall (no PIC line) wants the CPU. */
export const UPCALL_VECTOR = 0xf0;
export const PIC_VECTOR_BASE = 0x20;

export const HYPERCALLS: Record<number, string> = {
  0: 'set_trap_table', 1: 'mmu_update', 2: 'set_gdt', 3: 'stack_switch', 4: 'set_callbacks',
  5: 'fpu_taskswitch', 6: 'sched_op_compat', 7: 'platform_op', 8: 'set_debugreg', 9: 'get_debugreg',
  10: 'update_descriptor', 12: 'memory_op', 13: 'multicall', 14: 'update_va_mapping', 15: 'set_timer_op',
  17: 'xen_version', 18: 'console_io', 19: 'physdev_op_compat', 20: 'grant_table_op', 21: 'vm_assist',
  22: 'update_va_mapping_otherdomain', 23: 'iret', 24: 'vcpu_op', 25: 'set_segment_base', 26: 'mmuext_op',
  27: 'acm_op', 28: 'nmi_op', 29: 'sched_op', 30: 'callback_op', 31: 'xenoprof_op', 32: 'event_channel_op',
  33: 'physdev_op',
};
/** Hypercall names in number order (the statistics list every one, so readers need no defaults). */
export const HYPERCALL_NAMES = Object.keys(HYPERCALLS).map(Number).sort((a, b) => a - b).map((n) => HYPERCALLS[n]!);

export const EPERM = -1, ESRCH = -3, EFAULT = -14, EBUSY = -16, EINVAL = -22, ENOSYS = -38;
export const DOMID_SELF = 0x7ff0;

// start_info (Xen 3.0 x86_32) and the model's extension.
export const SI_MAGIC = 0, SI_NR_PAGES = 32, SI_SHARED_INFO = 36, SI_FLAGS = 40, SI_PT_BASE = 60;
export const SI_NR_PT_FRAMES = 64, SI_MFN_LIST = 68, SI_MOD_START = 72, SI_MOD_LEN = 76, SI_CMD_LINE = 80;
export const SI_CMD_LINE_MAX = 1024;
export const SI_VIRT_BASE = 1104, SI_BOOT_PHYS = 1108, SI_BOOT_LEN = 1112, SI_DOMAIN_END = 1116;
export const SIF_PRIVILEGED = 1, SIF_INITDOMAIN = 2;
export const START_INFO_MAGIC = 'xen-3.0-x86_32';

// shared_info.
export const SH_UPCALL_PENDING = 0, SH_UPCALL_MASK = 1, SH_PENDING_SEL = 4, SH_CR2 = 8;
export const SH_TIME = 32, SH_TIME_MUL = SH_TIME + 24, SH_TIME_SHIFT = SH_TIME + 28;
export const SH_EVTCHN_PENDING = 2048, SH_EVTCHN_MASK = 2176;
export const NR_EVENT_CHANNELS = 1024;

export const VIRQ_TIMER = 0;
