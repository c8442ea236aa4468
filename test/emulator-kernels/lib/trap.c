// The common trap handler: per-vector hooks, ring-3 exits (int $0x80), and fault catching.
// A test arms trap_recover (TRY_BEGIN) before code that may fault; the handler records what
// happened and resumes at the armed label. An unexpected trap is reported and ends the kernel.
#include "lib.h"

volatile u32 trap_recover;
volatile u32 trap_count;
volatile u32 trap_vector, trap_err, trap_cr2, trap_eip, trap_cs, trap_delta;
static trap_handler_t handlers[256];
void user_return(u32 value) __attribute__((noreturn));

void trap_set_handler(int vector, trap_handler_t h) { handlers[vector] = h; }

u32 enter_user(void (*fn)(void), u32 eflags, u32 user_esp) {
  return enter_ring(fn, eflags, user_esp, SEL_UCODE, SEL_UDATA);
}

void trap(struct frame *f) {
  if (handlers[f->vector]) {
    handlers[f->vector](f);
    return;
  }
  if (f->vector == 0x80 && f->eax == 0 && !trap_recover) user_return(f->ebx);
  trap_vector = f->vector;
  trap_err = f->err;
  trap_cr2 = f->vector == 14 ? read_cr2() : 0;
  trap_eip = f->eip;
  trap_cs = f->cs & 0xffff;
  trap_count++;
  if (trap_recover) {
    trap_delta = trap_recover - f->eip;
    f->eip = trap_recover;
    trap_recover = 0;
    return;
  }
  trap_fatal("unexpected trap ", f, 1);
}

void trap_fatal(const char *what, const struct frame *f, u32 status) {
  puts(what);
  puthex2(f->vector);
  puts(" err=");
  puthex(f->err);
  puts(" eip=");
  puthex(f->eip);
  puts(" cs=");
  puthex4(f->cs & 0xffff);
  nl();
  exit(status);
}

static void report(const char *label, int with_cr2) {
  puts(label);
  puts(": ");
  if (trap_count == 0) {
    puts("no fault\n");
    return;
  }
  putc('#');
  puthex2(trap_vector);
  puts(" err=");
  puthex4(trap_err);
  // How far the reported EIP lies before the resume label: tells a fault (EIP at the
  // instruction) from a trap (EIP after it).
  puts(" d=");
  putdec(trap_delta);
  if (with_cr2) {
    puts(" cr2=");
    puthex(trap_cr2);
  }
  if (trap_count != 1) {
    puts(" count=");
    putdec(trap_count);
  }
  nl();
  trap_count = 0;
}

void trap_report(const char *label) { report(label, 0); }
void trap_report_cr2(const char *label) { report(label, 1); }
