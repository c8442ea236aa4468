// The isolation attacks: one guest (or one guest scenario) per way a guest might try to reach
// beyond what the hypervisor model gives it, each run on its back-end and judged by what the
// model did: stopped (the attack had no effect: the run was stopped, or the access refused) and
// named (the stop or refusal says what was attempted). isolation.test.ts requires every one to
// be stopped and named; `npm run reliability:isolation` prints the table.
import { readFileSync } from 'node:fs';
import { runKernel, startMachine } from '../../emulator/run.ts';
import { Machine } from '../../emulator/machine.ts';
import { loadProfile } from '../../emulator/profiles/load.ts';
import { attachNetwork } from '../../emulator/net/attach.ts';
import { bootOnBackend, type BackendName } from '../../emulator/hypervisors/hypervisor.ts';
import { CR, CR_TXE, TXDP } from '../../emulator/devices/dp83820.ts';
import { buildKernel, buildL4TestGuest, buildXenTestGuest } from './build.ts';
import { tinyKernel } from '../emulator/support/tiny-kernel.ts';

export interface AttackResult {
  attack: string;
  backend: BackendName;
  stopped: boolean;
  named: boolean;
  /** What the model said (the stop reason, or the refusal the guest saw). */
  evidence: string;
}

interface Attack {
  attack: string;
  backend: BackendName;
  run: () => Promise<Omit<AttackResult, 'attack' | 'backend'>>;
}

const MEM = 32 << 20;

/** Key=0x... lines a test guest prints. */
function values(serial: Uint8Array): Map<string, number> {
  const kv = new Map<string, number>();
  for (const l of Buffer.from(serial).toString().split('\n')) {
    const m = /^(\w+)=0x([0-9a-f]+)$/.exec(l);
    if (m) kv.set(m[1]!, parseInt(m[2]!, 16));
  }
  return kv;
}

async function xenScenario(cmdline: string, named: RegExp): Promise<Omit<AttackResult, 'attack' | 'backend'>> {
  const elf = readFileSync(await buildXenTestGuest());
  const r = runKernel({ elf, kernelName: 'xentest', mem: MEM, backend: 'xen', cmdline, maxInstructions: 5_000_000 });
  const out = Buffer.from(r.serialOutput).toString();
  return { stopped: r.stop.kind === 'shutdown' && !out.includes('still running'), named: named.test(r.reason), evidence: r.reason.split('\n')[0]! };
}

async function l4Scenario(cmdline: string, named: RegExp): Promise<Omit<AttackResult, 'attack' | 'backend'>> {
  const elf = readFileSync(await buildL4TestGuest());
  const r = runKernel({ elf, kernelName: 'l4test', mem: MEM, backend: 'l4', cmdline, maxInstructions: 5_000_000 });
  return { stopped: r.exitCode === null && r.stop.kind === 'shutdown', named: named.test(r.reason), evidence: r.reason.split('\n')[0]! };
}

/**
 * Boots `elf` on `backend` in `mem` bytes with a NIC attached, points the NIC's transmit
 * descriptor pointer at `addr` and starts transmission: the run's stop and the NIC's errors.
 */
export function transmitFrom(backend: BackendName, elf: Uint8Array, mem: number, addr: number) {
  const machine = new Machine({ memBytes: mem, profile: loadProfile('p4-2.8ghz') });
  const net = attachNetwork(machine, { netperf: { direction: 'to-guest', transferBytes: 1024, open: 'passive' } });
  bootOnBackend(machine, { backend, elf, kernelName: 'guest' });
  net.nic.mmioWrite(TXDP, 4, addr);
  net.nic.mmioWrite(CR, 4, CR_TXE);
  const stop = machine.run({ maxInstructions: 1000 });
  return { stop, errors: net.nic.errors };
}

/** The NIC told to fetch a transmit descriptor at `addr`, outside the guest's memory. */
async function dmaOutside(backend: 'xen' | 'l4'): Promise<Omit<AttackResult, 'attack' | 'backend'>> {
  const elf = readFileSync(backend === 'xen' ? await buildXenTestGuest() : await buildL4TestGuest());
  const addr = backend === 'xen' ? MEM - (4 << 20) + 0x40 : MEM - (8 << 20) + 0x100;
  const { stop } = transmitFrom(backend, elf, MEM, addr);
  const detail = 'detail' in stop ? stop.detail : '';
  return { stopped: stop.kind === 'shutdown', named: /dp83820 DMA at 0x[0-9a-f]+/.test(detail), evidence: detail.split('\n')[0]! };
}

/** The guest kernel's fault program 2 (int $3 from a process: a kernel-only vector) under trap-and-emulate. */
async function ring3Privileged(backend: 'xen' | 'l4'): Promise<Omit<AttackResult, 'attack' | 'backend'>> {
  const elf = readFileSync(await buildKernel());
  const r = runKernel({ elf, kernelName: 'kernel', mem: MEM, backend, cmdline: 'run=fault arg=2', maxInstructions: 50_000_000 });
  const out = Buffer.from(r.serialOutput).toString();
  const line = /\[kernel\] pid \d+ \(fault\): .*killed/.exec(out)?.[0] ?? '';
  return { stopped: !out.includes('fault: still alive') && r.exitCode === 64 + 13, named: /general protection/.test(line), evidence: line };
}

/** A kernel under trap-and-emulate sets IOPL 3 with popf, then writes a port: at CPL 1 (Xen) or
 *  3 (L4) popf leaves the real IOPL alone, so the write still traps to the monitor, which
 *  decides what it reaches (on Xen the machine's PIC, per access; on L4 a virtual one). */
function raiseIopl(backend: 'xen' | 'l4'): Omit<AttackResult, 'attack' | 'backend'> {
  const elf = tinyKernel(`
main:
  pushfl; orl $0x3000, (%esp); popfl
  movb $0xfe, %al; outb %al, $0x21
  movb $0, %al; jmp exit
`);
  const { machine, backend: b } = startMachine({ elf, mem: MEM, backend });
  const stop = machine.run({ maxInstructions: 1_000_000 });
  const iopl = (machine.cpu.flags >> 12) & 3;
  const trapped = b.stats().trap_and_emulate?.emulated['out'] ?? 0;
  return {
    stopped: stop.kind === 'exit' && iopl === 0 && trapped >= 1,
    named: trapped >= 1,
    evidence: `the real IOPL stays ${iopl}; the monitor trapped and emulated the port writes (out: ${trapped})`,
  };
}

export const ATTACKS: Attack[] = [
  { attack: 'map hypervisor memory', backend: 'xen', run: () => xenScenario('maphv', /which is hypervisor memory/) },
  { attack: 'write a validated page table directly', backend: 'xen', run: () => xenScenario('writept', /wrote L2 page directory frame 0x[0-9a-f]+ directly/) },
  { attack: 'load a page table with a writable self-mapping', backend: 'xen', run: () => xenScenario('writablept', /writable mapping of machine frame 0x[0-9a-f]+, which is a L2 page directory/) },
  { attack: 'pin a frame that is mapped writable as a page table', backend: 'xen', run: () => xenScenario('pinwritable', /cannot become a L1 page table: \d+ writable mapping/) },
  { attack: 'DMA outside its memory', backend: 'xen', run: () => dmaOutside('xen') },
  { attack: 'DMA outside its memory', backend: 'l4', run: () => dmaOutside('l4') },
  {
    attack: 'program the PIC from a para-virtual guest', backend: 'xen', run: async () => {
      const elf = readFileSync(await buildXenTestGuest());
      const r = runKernel({ elf, kernelName: 'xentest', mem: MEM, backend: 'xen', maxInstructions: 5_000_000 });
      const kv = values(r.serialOutput);
      return { stopped: kv.get('pic_read_trapped') === 1, named: kv.get('pic_read_vector') === 13, evidence: `the port access raised #${kv.get('pic_read_vector')} (general protection) in the guest` };
    },
  },
  { attack: 'ask σ0 for the PIC\'s ports', backend: 'l4', run: () => l4Scenario('refuse-pic', /request for ports 0x20-0x21: the PIC is the kernel's/) },
  { attack: 'ask σ0 for L4\'s reserved memory', backend: 'l4', run: () => l4Scenario('refuse-reserved', /L4's reserved memory/) },
  { attack: 'map the L4 kernel area', backend: 'l4', run: () => l4Scenario('map-kernel', /in the kernel area/) },
  {
    attack: 'a privileged system call from a space without the right', backend: 'l4', run: async () => {
      const elf = readFileSync(await buildL4TestGuest());
      const r = runKernel({ elf, kernelName: 'l4test', mem: MEM, backend: 'l4', maxInstructions: 5_000_000 });
      const kv = values(r.serialOutput);
      return {
        stopped: kv.get('sys_eax') === 5, named: kv.get('sys_error') === ((0x30 << 3) | 2),
        evidence: `an exception IPC with error 0x${(kv.get('sys_error') ?? 0).toString(16)} (#GP at int 0x30); EAX kept`,
      };
    },
  },
  { attack: 'raise IOPL with popf', backend: 'xen', run: async () => raiseIopl('xen') },
  { attack: 'raise IOPL with popf', backend: 'l4', run: async () => raiseIopl('l4') },
  { attack: 'a privileged instruction from ring 3 of a guest process', backend: 'xen', run: () => ring3Privileged('xen') },
  { attack: 'a privileged instruction from ring 3 of a guest process', backend: 'l4', run: () => ring3Privileged('l4') },
];

export async function runAttacks(): Promise<AttackResult[]> {
  const out: AttackResult[] = [];
  for (const a of ATTACKS) {
    try {
      out.push({ attack: a.attack, backend: a.backend, ...(await a.run()) });
    } catch (e) {
      out.push({ attack: a.attack, backend: a.backend, stopped: false, named: false, evidence: `host error: ${(e as Error).message}` });
    }
  }
  return out;
}
