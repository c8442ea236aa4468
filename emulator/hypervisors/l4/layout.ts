// The L4 model's numbers and layouts as ABI.md states them: the kernel area, thread numbers,
// system-call numbers, labels, UTCB, boot-info and KIP offsets, error codes. One place, so the
// code and the document agree. The kernel-area pages past the UTCB (GDT, TSS, I/O bitmap) are
// the model's own: supervisor-only, so a user access to them is a page fault like any other.

export const PAGE = 4096;
/** The top of RAM the kernel keeps (KIP, UTCBs, page tables, GDT/TSS). */
export const L4_RESERVED = 8 << 20;
export const KERNEL_AREA = 0xfc000000;
export const KERNEL_SLOT = KERNEL_AREA >>> 22; // 0x3f0
export const KIP_VA = 0xfc000000;
export const UTCB_VA = 0xfc001000;
export const GDT_VA = 0xfc002000;
export const TSS_VA = 0xfc003000;
/** The TSS's I/O bitmap: two pages, then one all-ones byte (the page after). */
export const IOBM_VA = 0xfc004000;
export const IOBM_END_VA = 0xfc006000;
export const TSS_IOBASE = IOBM_VA - TSS_VA;
export const TSS_LIMIT = IOBM_END_VA - TSS_VA;

export const USER_CS = 0x1b;
export const USER_DS = 0x23;
/** The access rights of the flat user code and data segments (G, D/B, P, DPL 3). */
export const CODE_AR = 0xc0fb00, DATA_AR = 0xc0f300;

/** The PCI memory window σ0 hands out (device registers). */
export const MMIO_WINDOW: readonly [number, number] = [0xfeb00000, 0xfec00000];
/** Ports σ0 owns and grants: [first, count] (the UART, PCI configuration, the debug exit, the CMOS RTC). */
export const PORTS_GRANTABLE: readonly (readonly [number, number])[] = [[0x3f8, 8], [0xcf8, 8], [0xf4, 4], [0x70, 2]];
/** IRQ lines the privileged task may attach (UART, PCI). */
export const IRQS_ATTACHABLE: ReadonlySet<number> = new Set([3, 4, 9, 10, 11]);
export const PIC_VECTOR_BASE = 0x20;

// Thread ids.
export const NILTHREAD = 0;
export const ANYTHREAD = 0xffffffff;
export const tid = (n: number): number => ((n << 14) | 1) >>> 0;
export const tnum = (t: number): number => t >>> 14;
export const SIGMA0_NUM = 16;
export const MAIN_NUM = 18;
export const SIGMA0 = tid(SIGMA0_NUM);
/** The network server (ABI.md section 13), part of the model like σ0. */
export const NETSERVER_NUM = 17;
export const NETSERVER = tid(NETSERVER_NUM);
export const MAIN = tid(MAIN_NUM);
export const FIRST_FREE_THREAD = 32;
export const LAST_THREAD = 4095;
export const MAX_SPACES = 256;
export const DEFAULT_PRIORITY = 100;

// System calls (int $0x30, EAX).
export const SYSCALL_VECTOR = 0x30;
export const SYSCALL_NAMES = ['Ipc', 'ThreadControl', 'ExchangeRegisters', 'Unmap', 'SystemClock', 'ThreadSwitch', 'Schedule'] as const;
export type SyscallName = (typeof SYSCALL_NAMES)[number];
export const SC_IPC = 1, SC_THREADCTL = 2, SC_EXREGS = 3, SC_UNMAP = 4, SC_CLOCK = 5, SC_THREADSWITCH = 6, SC_SCHEDULE = 7;

// Labels (16 bits, in MR0 bits 16-31).
export const LABEL_PAGEFAULT = 0xffe0;
export const LABEL_EXCEPTION = 0xffb0;
export const LABEL_INTERRUPT = 0xfff0;
export const LABEL_SIGMA0 = 0xffa0;
/** The network server's protocol (ABI.md section 13, model): connect, kick, and its notification. */
export const LABEL_NET_CONNECT = 0xff90, LABEL_NET_KICK = 0xff91, LABEL_NET_EVENT = 0xff92;
export const EXC_WORDS = 12;

export const tag = (label: number, t: number, u: number): number => ((label << 16) | (t << 6) | u) >>> 0;
export const tagU = (t: number): number => t & 0x3f;
export const tagT = (t: number): number => (t >>> 6) & 0x3f;
export const tagLabel = (t: number): number => t >>> 16;

// Rights.
export const R = 4, W = 2, X = 1;

// Ipc error codes (ECX): bit 0 the phase (0 send, 1 receive), bits 1-3 the code.
export const ERR_TIMEOUT = 1, ERR_NOPARTNER = 2, ERR_CANCELLED = 3, ERR_OVERFLOW = 4;
export const ipcError = (code: number, receivePhase: boolean): number => (code << 1) | (receivePhase ? 1 : 0);

// ThreadControl error codes.
export const TC_NO_PRIVILEGE = 1, TC_UNAVAILABLE = 2, TC_INVALID_SPACE = 3, TC_INVALID_PAGER = 4;

// ExchangeRegisters control and state bits.
export const XR_RESUME = 0x1, XR_HALT = 0x2, XR_CANCEL_SEND = 0x4, XR_CANCEL_RECV = 0x8;
export const XR_SET_ESP = 0x10, XR_SET_EIP = 0x20, XR_SET_EFLAGS = 0x40;
export const XS_HALTED = 0x1, XS_SENDING = 0x2, XS_RECEIVING = 0x4, XS_FAULTING = 0x8;
/** EFLAGS bits a user may set through ExchangeRegisters or an exception reply: arithmetic, TF, DF, AC. */
export const USER_EFLAGS = 0x8d5 | 0x100 | 0x400 | 0x40000;

// UTCB offsets.
export const UTCB_MR = 0x000;
export const UTCB_BR = 0x100;
export const UTCB_MY_ID = 0x200;
export const UTCB_ERROR = 0x204;
export const UTCB_PAGER = 0x208;
export const UTCB_HANDLE = 0x20c;
export const MR_COUNT = 64;

// Boot info page.
export const BI_MAGIC = 0, BI_VERSION = 16, BI_PHYS_END = 20, BI_BOOT_PHYS = 24, BI_BOOT_LEN = 28;
export const BI_VIRT_BASE = 32, BI_MOD_START = 36, BI_MOD_LEN = 40, BI_MY_TID = 44, BI_SIGMA0 = 48;
export const BI_FIRST_FREE = 52, BI_LAST_THREAD = 56, BI_KIP = 60, BI_UTCB = 64, BI_CPU_KHZ = 68;
export const BI_CMD_LINE = 128, BI_CMD_LINE_MAX = 1024;
export const BOOT_INFO_MAGIC = 'l4-x2-model';

// KIP.
export const KIP_MAGIC = [0x4c, 0x34, 0xe6, 0x4b]; // "L4\xE6K"
export const KIP_API_VERSION = 4, KIP_API_FLAGS = 8, KIP_CPU_KHZ = 0x100, KIP_PHYS_END = 0x104;
export const API_VERSION_X2 = 0x84;

export const EXCEPTION_NAMES: Record<number, string> = {
  0: '#DE', 1: '#DB', 3: '#BP', 4: '#OF', 5: '#BR', 6: '#UD', 7: '#NM', 8: '#DF', 10: '#TS', 11: '#NP',
  12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF', 17: '#AC', 18: '#MC', 19: '#XM',
};

export { hex } from '../../hex.ts';
