// The cycle ledger (emulator/cpu/cycle-ledger.ts) on a bare CPU: a ring-0 loop in "kernel" code
// calls a routine placed in the "wedge" image and writes a port each time round. The expected
// split is counted by hand from the assembly below with every cost 1 and port_io 7: kernel code
// runs mov + 100 x (call, out, dec, jnz) + hlt = 402 instructions, the wedge 100 x (3 nop + ret)
// = 400, and the port writes cost 100 x 7 = 700 of device access; the categories sum to the
// CPU's cycle count.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assemble, machineWith } from './cpu-harness.ts';
import { breakdownSum } from '../../emulator/cpu/cycle-ledger.ts';

const BASE = 0x100000;
const SOURCE = `
  mov $100, %ecx
1:
  call wedge
  out %al, $0x80
  dec %ecx
  jnz 1b
  hlt
  .org 0x800
wedge:
  nop
  nop
  nop
  ret
`;

test('execution goes to kernel or wedge by the image the EIP lies in; port I/O to device; the sum is the cycle count', () => {
  const { cpu } = machineWith(assemble(SOURCE, BASE), BASE);
  cpu.costs.port_io = 7;
  cpu.ledger.setRegions({ kernel: [BASE, BASE + 0x800], wedge: [BASE + 0x800, BASE + 0x900] });
  assert.is(cpu.run(1e6), 'halt');
  const c = cpu.ledger.breakdown();
  assert.equal(
    { kernel: c.guest_kernel, wedge: c.wedge, user: c.guest_user, device: c.device, idle: c.idle, hypervisor: c.hypervisor },
    { kernel: 402, wedge: 400, user: 0, device: 700, idle: 0, hypervisor: {} },
  );
  assert.is(c.total, cpu.cycles);
  assert.is(breakdownSum(c), cpu.cycles);
});

test('without a wedge image the same code is all kernel (ring 0), and a hypervisor charge is its own category', () => {
  const { cpu } = machineWith(assemble(SOURCE, BASE), BASE);
  cpu.costs.port_io = 7;
  assert.is(cpu.run(1e6), 'halt');
  cpu.cycles += 50;
  cpu.ledger.chargeHypervisor(50, 'test operation');
  const c = cpu.ledger.breakdown();
  assert.is(c.guest_kernel, 802);
  assert.is(c.wedge, 0);
  assert.equal(c.hypervisor, { 'test operation': 50 });
  assert.is(breakdownSum(c), cpu.cycles);
});

test.run();
