// The command line the Linux self-test runs get on every machine (QEMU, the emulator, the
// hypervisor back-ends): the serial console, no port-0x80 delays, no MDS verw, the self-test.
export const SELFTEST_APPEND = 'console=ttyS0 io_delay=none mitigations=off run=selftest';
