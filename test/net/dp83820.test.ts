// The DP83820 model driven through its registers and descriptor lists, with a plain Uint8Array
// as guest RAM, a recording interrupt line, and the far end of a wire as the other station.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32 } from 'node:zlib';
import {
  CMDSTS_DEST_SELF, CMDSTS_INTR, CMDSTS_MORE, CMDSTS_OK, CMDSTS_OWN, CR, CR_RST, CR_RXE, CR_TXE,
  Dp83820, EXTSTS_IPPKT, EXTSTS_TCPPKT, IER, IHR, IMR, ISR, ISR_RMABT, ISR_RXDESC, ISR_RXIDLE,
  ISR_RXOK, ISR_RXORN, ISR_TXDESC, ISR_TXERR, ISR_TXIDLE, ISR_TXOK, MIB_RX_MISSED, MIBC, MIBC_ACLR,
  RFCR, RFCR_AAB, RFCR_APM, RFCR_RFEN, RFDR, RXCFG, RXCFG_STRIPCRC, RXDP, TXCFG, TXCFG_ATP, TXDP,
  VTCR, VTCR_PPCHK, VRCR, VRCR_IPEN, EXTSTS_TCPERR, CFG, SRR, PTSCR, PTSCR_RBIST_EN, PTSCR_RBIST_DONE, RX_FIFO_BYTES,
} from '../../emulator/devices/dp83820.ts';
import { RamDma } from '../../emulator/dma.ts';
import { TimeBase } from '../../emulator/net/seams.ts';
import { SimClock } from '../../emulator/net/sim-clock.ts';
import { Wire } from '../../emulator/net/wire.ts';

const MAC = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x01);
const OTHER = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x02);
const MHZ = 2800;

function rig(ramSize = 1 << 20) {
  const ram = new Uint8Array(ramSize);
  const dmaWrites: [number, number][] = [];
  const dma = new RamDma(ram, (a, l) => dmaWrites.push([a, l]));
  const clock = new SimClock();
  const time = new TimeBase(clock, MHZ);
  const irq = { level: false, raises: 0, raise() { this.level = true; this.raises++; }, lower() { this.level = false; } };
  const wire = new Wire(time, { latencyNs: 500 });
  const nic = new Dp83820({ mac: MAC, time, dma, irq, port: wire.port(0) });
  const heard: Uint8Array[] = [];
  const far = wire.port(1);
  far.onReceive = (f) => heard.push(f);
  const view = new DataView(ram.buffer);
  const desc = (at: number, link: number, buf: number, cmdsts: number, ext = 0): void => {
    view.setUint32(at, link, true);
    view.setUint32(at + 4, buf, true);
    view.setUint32(at + 8, cmdsts >>> 0, true);
    view.setUint32(at + 12, ext, true);
  };
  const cmdsts = (at: number): number => view.getUint32(at + 8, true);
  return { ram, dma, dmaWrites, clock, time, irq, wire, nic, heard, far, view, desc, cmdsts };
}

function frameTo(dst: Uint8Array, len: number, fill: number): Uint8Array {
  const f = new Uint8Array(len);
  f.set(dst, 0);
  f.set(OTHER, 6);
  f[12] = 0x88; f[13] = 0xb5; // local experimental ethertype
  for (let i = 14; i < len; i++) f[i] = (fill + i) & 0xff;
  return f;
}

test('TX: a frame split over a MORE chain goes out whole; OWN cleared, OK set, TXDESC on INTR', () => {
  const r = rig();
  const frame = frameTo(OTHER, 300, 7);
  r.ram.set(frame.subarray(0, 100), 0x10000);
  r.ram.set(frame.subarray(100, 250), 0x11000);
  r.ram.set(frame.subarray(250), 0x12000);
  r.desc(0x1000, 0x1010, 0x10000, CMDSTS_OWN | CMDSTS_MORE | 100);
  r.desc(0x1010, 0x1020, 0x11000, CMDSTS_OWN | CMDSTS_MORE | 150);
  r.desc(0x1020, 0x1030, 0x12000, CMDSTS_OWN | CMDSTS_INTR | 50);
  r.desc(0x1030, 0x1000, 0x13000, 0); // not handed over: the NIC stops here
  r.nic.write32(TXDP, 0x1000);
  r.nic.write32(IMR, ISR_TXDESC);
  r.nic.write32(IER, 1);
  r.nic.write32(CR, CR_TXE);
  r.clock.run();
  assert.is(r.heard.length, 1);
  assert.equal(Array.from(r.heard[0]!), Array.from(frame));
  for (const d of [0x1000, 0x1010, 0x1020]) {
    assert.is(r.cmdsts(d) & CMDSTS_OWN, 0, `OWN cleared at ${d.toString(16)}`);
    assert.ok(r.cmdsts(d) & CMDSTS_OK, 'OK set');
  }
  assert.is(r.cmdsts(0x1030), 0, 'the unowned descriptor is untouched');
  assert.is(r.nic.read32(TXDP), 0x1030, 'TXDP rests on the first descriptor the NIC does not own');
  assert.ok(r.irq.level, 'TXDESC unmasked: line raised');
  const isr = r.nic.read32(ISR);
  assert.is(isr & (ISR_TXOK | ISR_TXDESC | ISR_TXIDLE), ISR_TXOK | ISR_TXDESC | ISR_TXIDLE);
  assert.ok(r.dmaWrites.some(([a]) => a === 0x1008), 'status write-back reported to the code cache');

  // Hand the next descriptor over and kick: it goes out, padded to 60 bytes by TXCFG.ATP.
  r.ram.set(frameTo(OTHER, 40, 1), 0x13000);
  r.desc(0x1030, 0x1000, 0x13000, CMDSTS_OWN | 40);
  r.nic.write32(TXCFG, TXCFG_ATP);
  r.nic.write32(CR, CR_TXE);
  r.clock.run();
  assert.is(r.heard.length, 2);
  assert.is(r.heard[1]!.length, 60);
  assert.is(r.cmdsts(0x1030) & CMDSTS_OWN, 0);
});

test('TX: a MORE chain whose tail is not handed over yet waits whole at its first descriptor', () => {
  const r = rig();
  const frame = frameTo(OTHER, 200, 3);
  r.ram.set(frame.subarray(0, 100), 0x10000);
  r.ram.set(frame.subarray(100), 0x11000);
  r.desc(0x1000, 0x1010, 0x10000, CMDSTS_OWN | CMDSTS_MORE | 100);
  r.desc(0x1010, 0, 0x11000, 100); // the driver has not set OWN here yet
  r.nic.write32(TXDP, 0x1000);
  r.nic.write32(CR, CR_TXE);
  r.clock.run();
  assert.is(r.heard.length, 0, 'no partial frame on the wire');
  assert.ok(r.cmdsts(0x1000) & CMDSTS_OWN, 'first descriptor still the NIC\'s');
  assert.is(r.nic.read32(TXDP), 0x1000);
  r.desc(0x1010, 0, 0x11000, CMDSTS_OWN | 100);
  r.nic.write32(CR, CR_TXE);
  r.clock.run();
  assert.equal(r.heard.map((f) => Array.from(f)), [Array.from(frame)]);
});

test('TX: frames leave at line rate, one per serialization time', () => {
  const r = rig();
  for (let i = 0; i < 4; i++) {
    r.ram.set(frameTo(OTHER, 1514, i), 0x20000 + i * 0x800);
    r.desc(0x1000 + i * 16, 0x1000 + (i + 1) * 16, 0x20000 + i * 0x800, CMDSTS_OWN | 1514);
  }
  r.desc(0x1040, 0, 0, 0);
  const times: number[] = [];
  r.far.onReceive = () => times.push(r.time.nowNs());
  r.nic.write32(TXDP, 0x1000);
  r.nic.write32(CR, CR_TXE);
  r.clock.run();
  assert.is(times.length, 4);
  // (8 preamble + 1514 + 4 FCS + 12 IFG) bytes x 8 ns at 1 Gb/s.
  const perFrame = (8 + 1514 + 4 + 12) * 8;
  for (let i = 1; i < 4; i++) assert.ok(Math.abs(times[i]! - times[i - 1]! - perFrame) <= 1, `gap ${times[i]! - times[i - 1]!}`);
});

function rxRing(r: ReturnType<typeof rig>, n: number, base = 0x2000, bufs = 0x40000, size = 1536): number[] {
  const ds: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = base + i * 32;
    r.desc(d, base + ((i + 1) % n) * 32, bufs + i * 0x800, CMDSTS_INTR | size);
    ds.push(d);
  }
  return ds;
}

function startRx(r: ReturnType<typeof rig>, rxdp: number, strip = true): void {
  r.nic.write32(RFCR, RFCR_RFEN | RFCR_AAB | RFCR_APM);
  r.nic.write32(RXCFG, strip ? RXCFG_STRIPCRC : 0);
  r.nic.write32(RXDP, rxdp);
  r.nic.write32(IMR, ISR_RXOK | ISR_RXDESC | ISR_RXIDLE | ISR_RXORN);
  r.nic.write32(IER, 1);
  r.nic.write32(CR, CR_RXE);
}

test('RX: frames land in a ring; the NIC sets OWN and OK with the length; filter drops other MACs', () => {
  const r = rig();
  const ds = rxRing(r, 4);
  startRx(r, ds[0]!);
  const a = frameTo(MAC, 1514, 3);
  const b = frameTo(OTHER, 200, 4); // not for us
  const c = frameTo(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 64, 5);
  r.far.send(a); r.far.send(b); r.far.send(c);
  r.clock.run();
  assert.is(r.cmdsts(ds[0]!), (CMDSTS_OWN | CMDSTS_OK | CMDSTS_DEST_SELF | 1514) >>> 0);
  assert.equal(Array.from(r.ram.subarray(0x40000, 0x40000 + 1514)), Array.from(a));
  assert.ok(r.cmdsts(ds[1]!) & CMDSTS_OWN, 'broadcast accepted into the next descriptor');
  assert.is(r.cmdsts(ds[1]!) & 0xffff, 64);
  assert.is(r.cmdsts(ds[2]!) & CMDSTS_OWN, 0, 'the frame for another MAC was filtered');
  assert.is(r.nic.read32(RXDP), ds[2]);
  assert.is(r.nic.read32(ISR) & (ISR_RXOK | ISR_RXDESC), ISR_RXOK | ISR_RXDESC);
});

test('RX: without STRIPCRC the buffer ends with the frame\'s FCS (checked against zlib crc32)', () => {
  const r = rig();
  const ds = rxRing(r, 2);
  startRx(r, ds[0]!, false);
  const a = frameTo(MAC, 100, 9);
  r.far.send(a);
  r.clock.run();
  assert.is(r.cmdsts(ds[0]!) & 0xffff, 104);
  const fcs = new DataView(r.ram.buffer).getUint32(0x40000 + 100, true);
  assert.is(fcs, crc32(a));
});

test('RX: a frame larger than one buffer spreads over descriptors with MORE', () => {
  const r = rig();
  const ds = rxRing(r, 4, 0x2000, 0x40000, 600);
  startRx(r, ds[0]!);
  const a = frameTo(MAC, 1514, 2);
  r.far.send(a);
  r.clock.run();
  assert.is(r.cmdsts(ds[0]!), (CMDSTS_OWN | CMDSTS_MORE | CMDSTS_DEST_SELF | 600) >>> 0);
  assert.is(r.cmdsts(ds[1]!), (CMDSTS_OWN | CMDSTS_MORE | CMDSTS_DEST_SELF | 600) >>> 0);
  assert.is(r.cmdsts(ds[2]!), (CMDSTS_OWN | CMDSTS_OK | CMDSTS_DEST_SELF | 314) >>> 0);
  const got = [...r.ram.subarray(0x40000, 0x40000 + 600), ...r.ram.subarray(0x40800, 0x40800 + 600), ...r.ram.subarray(0x41000, 0x41000 + 314)];
  assert.equal(got, Array.from(a));
});

test('RX: a driver-owned descriptor makes the NIC idle (RXIDLE); RXDP + CR_RXE re-arms it', () => {
  const r = rig();
  const ds = rxRing(r, 2);
  r.desc(ds[1]!, ds[0]!, 0x40800, CMDSTS_OWN); // still the driver's
  startRx(r, ds[0]!);
  const f1 = frameTo(MAC, 500, 1), f2 = frameTo(MAC, 600, 2), f3 = frameTo(MAC, 700, 3);
  r.far.send(f1); r.far.send(f2); r.far.send(f3);
  r.clock.run();
  assert.ok(r.cmdsts(ds[0]!) & CMDSTS_OWN);
  assert.is(r.cmdsts(ds[0]!) & 0xffff, 500);
  assert.is(r.nic.read32(CR) & CR_RXE, 0, 'receive engine idle');
  const isr = r.nic.read32(ISR);
  assert.ok(isr & ISR_RXIDLE, 'RXIDLE raised');
  // The driver takes frame 1 and gives both buffers back, as Linux's rx refill + kick does.
  r.desc(ds[0]!, ds[1]!, 0x40000, CMDSTS_INTR | 1536);
  r.desc(ds[1]!, ds[0]!, 0x40800, CMDSTS_INTR | 1536);
  r.nic.write32(RXDP, ds[1]!);
  r.nic.write32(CR, CR_RXE);
  r.clock.run();
  assert.is(r.cmdsts(ds[1]!) & 0xffff, 600, 'frame 2 was held in the FIFO, not lost');
  assert.is(r.cmdsts(ds[0]!) & 0xffff, 700);
  assert.equal(Array.from(r.ram.subarray(0x40000, 0x40000 + 700)), Array.from(f3));
});

test('RX: a null link idles the NIC after the buffer; CR_RXE alone resumes from the updated link', () => {
  const r = rig();
  r.desc(0x2000, 0, 0x40000, 1536);
  startRx(r, 0x2000);
  r.far.send(frameTo(MAC, 100, 1));
  r.far.send(frameTo(MAC, 120, 1));
  r.clock.run();
  assert.is(r.cmdsts(0x2000) & 0xffff, 100);
  assert.ok(r.nic.read32(ISR) & ISR_RXIDLE);
  r.desc(0x2020, 0, 0x40800, 1536);
  r.view.setUint32(0x2000, 0x2020, true); // the driver links the new descriptor in
  r.nic.write32(CR, CR_RXE);
  r.clock.run();
  assert.is(r.cmdsts(0x2020) & 0xffff, 120);
});

test('RX FIFO overflow drops frames: RXORN and the missed-packets MIB counter; MIBC ACLR clears', () => {
  const r = rig();
  r.desc(0x2000, 0, 0x40000, CMDSTS_OWN); // no buffer at all
  startRx(r, 0x2000);
  const n = Math.floor(RX_FIFO_BYTES / 1514) + 3;
  for (let i = 0; i < n; i++) r.far.send(frameTo(MAC, 1514, i));
  r.clock.run();
  assert.ok(r.nic.read32(ISR) & ISR_RXORN);
  assert.is(r.nic.read32(MIB_RX_MISSED), 3);
  r.nic.write32(MIBC, MIBC_ACLR);
  assert.is(r.nic.read32(MIB_RX_MISSED), 0);
});

test('ISR clears on read and the line drops; IMR and IER gate the line', () => {
  const r = rig();
  const ds = rxRing(r, 4);
  startRx(r, ds[0]!);
  r.nic.write32(IER, 0);
  r.far.send(frameTo(MAC, 100, 1));
  r.clock.run();
  assert.not.ok(r.irq.level, 'IER off: no interrupt');
  r.nic.write32(IER, 1);
  assert.ok(r.irq.level, 'IER on with a pending unmasked event: interrupt');
  r.nic.write32(IMR, 0);
  assert.not.ok(r.irq.level, 'masked: line low');
  r.nic.write32(IMR, ISR_RXOK);
  assert.ok(r.irq.level);
  const isr = r.nic.read32(ISR);
  assert.ok(isr & ISR_RXOK);
  assert.not.ok(r.irq.level, 'reading ISR drops the line');
  assert.is(r.nic.read32(ISR), 0, 'and clears it');
  r.nic.write32(IMR, ISR_TXOK); // an event that has not happened
  r.far.send(frameTo(MAC, 100, 2));
  r.clock.run();
  assert.not.ok(r.irq.level, 'RXOK pending but masked');
});

test('holdoff: after an ISR read the line stays low for IHR x 100 us, then asserts', () => {
  const r = rig();
  const ds = rxRing(r, 8);
  startRx(r, ds[0]!);
  r.nic.write32(IHR, 2); // 200 us
  r.far.send(frameTo(MAC, 100, 1));
  r.clock.run();
  assert.ok(r.irq.level);
  r.nic.read32(ISR);
  const readAt = r.clock.now();
  let raisedAt = -1;
  const irq = r.irq;
  const origRaise = irq.raise.bind(irq);
  irq.raise = () => { raisedAt = r.clock.now(); origRaise(); };
  r.far.send(frameTo(MAC, 100, 2)); // arrives ~1.4 us later, inside the holdoff
  r.clock.run();
  assert.is(raisedAt, readAt + 200 * MHZ, 'asserted exactly when the holdoff ends');
  assert.ok(r.nic.read32(ISR) & ISR_RXOK);
  // Rewriting a non-zero IHR (as Linux's rx tasklet does) leaves a running holdoff alone.
  r.nic.read32(ISR);
  const read2 = r.clock.now();
  r.nic.write32(IHR, 2);
  r.far.send(frameTo(MAC, 100, 4));
  r.clock.run();
  assert.is(raisedAt, read2 + 200 * MHZ);
  // With IHR 0 the next event interrupts at once.
  r.nic.write32(IHR, 0);
  r.nic.read32(ISR);
  r.far.send(frameTo(MAC, 100, 3));
  const sentAt = r.clock.now();
  r.clock.run();
  assert.ok(raisedAt - sentAt < 10 * MHZ);
});

test('a descriptor or buffer outside RAM is a device error (RMABT), never a host exception', () => {
  const r = rig(1 << 16);
  r.nic.write32(IMR, ISR_RMABT);
  r.nic.write32(IER, 1);
  r.nic.write32(TXDP, 0xfffff000);
  r.nic.write32(CR, CR_TXE);
  r.clock.run();
  assert.is(r.nic.errors.length, 1);
  assert.match(r.nic.errors[0]!, /tx: descriptor at 0xfffff000 is outside guest RAM/);
  assert.is(r.nic.read32(ISR) & (ISR_RMABT | ISR_TXERR), ISR_RMABT | ISR_TXERR);
  assert.is(r.nic.read32(CR) & CR_TXE, 0, 'TX engine stopped');
  // A good descriptor pointing at a bad buffer, on the RX side.
  r.desc(0x2000, 0, 0x00ff0000, 1536);
  startRx(r, 0x2000);
  r.far.send(frameTo(MAC, 100, 1));
  r.clock.run();
  assert.is(r.nic.errors.length, 2);
  assert.match(r.nic.errors[1]!, /rx: buffer 0x00ff0000\+100/);
  assert.is(r.cmdsts(0x2000), 1536, 'descriptor not written');
  // A descriptor straddling the end of RAM.
  r.nic.write32(TXDP, (1 << 16) - 8);
  r.nic.write32(CR, CR_TXE);
  r.clock.run();
  assert.is(r.nic.errors.length, 3);
  // A TX buffer past the end of RAM.
  r.desc(0x1000, 0, 0xffff, CMDSTS_OWN | 64);
  r.nic.write32(TXDP, 0x1000);
  r.nic.write32(CR, CR_TXE);
  r.clock.run();
  assert.is(r.nic.errors.length, 4);
  assert.is(r.heard.length, 0);
});

test('station address via RFCR/RFDR; writing it changes the perfect-match filter', () => {
  const r = rig();
  const got: number[] = [];
  for (let i = 0; i < 3; i++) {
    r.nic.write32(RFCR, i * 2);
    const w = r.nic.read32(RFDR);
    got.push(w & 0xff, w >> 8);
  }
  assert.equal(got, Array.from(MAC));
  const NEW = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
  for (let i = 0; i < 3; i++) {
    r.nic.write32(RFCR, i * 2);
    r.nic.write32(RFDR, NEW[2 * i]! | (NEW[2 * i + 1]! << 8));
  }
  const ds = rxRing(r, 2);
  startRx(r, ds[0]!);
  r.far.send(frameTo(MAC, 80, 1));
  r.far.send(frameTo(Uint8Array.from(NEW), 90, 1));
  r.clock.run();
  assert.is(r.cmdsts(ds[0]!) & 0xffff, 90, 'only the frame to the new address was taken');
  assert.is(r.cmdsts(ds[1]!) & CMDSTS_OWN, 0);
});

test('identity and status registers: PCI ids, link up 1000 full in Linux\'s polarity, BIST passes, RST', () => {
  const r = rig();
  assert.is(r.nic.pci.vendorId, 0x100b);
  assert.is(r.nic.pci.deviceId, 0x0022);
  assert.equal(r.nic.pci.memoryBars, [{ index: 1, size: 4096 }]);
  const cfg = (r.nic.read32(CFG) ^ 0x70000000) >>> 0; // SPDSTS1|SPDSTS0|DUPSTS, as ns83820 does
  assert.ok(cfg & 0x80000000, 'link');
  assert.is((cfg / 0x20000000) & 3, 2, '1000 Mb/s');
  assert.ok(cfg & 0x10000000, 'full duplex');
  assert.ok(r.nic.read32(SRR) !== 0);
  r.nic.write32(PTSCR, PTSCR_RBIST_EN);
  assert.is(r.nic.read32(PTSCR) & (PTSCR_RBIST_EN | PTSCR_RBIST_DONE), PTSCR_RBIST_DONE);
  r.nic.write32(IMR, 0xffff);
  r.nic.write32(CR, CR_RST);
  assert.is(r.nic.read32(CR) & CR_RST, 0, 'RST self-clears');
  assert.is(r.nic.read32(IMR), 0, 'registers reset');
});

test('checksum offload: TX fills IP and TCP checksums per extsts; RX reports them good', () => {
  const r = rig();
  // A minimal IPv4/TCP frame with zeroed checksums.
  const f = new Uint8Array(14 + 20 + 20 + 10);
  f.set(OTHER, 0); f.set(MAC, 6); f[12] = 0x08; f[13] = 0x00;
  const ip = [0x45, 0, 0, 50, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  f.set(ip, 14);
  const tcp = [0x13, 0x88, 0x30, 0x39, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0];
  f.set(tcp, 34);
  for (let i = 0; i < 10; i++) f[54 + i] = i;
  r.ram.set(f, 0x10000);
  r.desc(0x1000, 0, 0x10000, CMDSTS_OWN | f.length, EXTSTS_IPPKT | EXTSTS_TCPPKT);
  r.nic.write32(VTCR, VTCR_PPCHK);
  r.nic.write32(TXDP, 0x1000);
  r.nic.write32(CR, CR_TXE);
  r.clock.run();
  const out = r.heard[0]!;
  // Independent check: one's-complement sums including the fields must be 0xffff.
  const fold = (s: number): number => { while (s > 0xffff) s = (s & 0xffff) + (s >>> 16); return s; };
  const sum = (b: Uint8Array, o: number, n: number, s = 0): number => { for (let i = 0; i < n; i += 2) s += (b[o + i]! << 8) + (b[o + i + 1] ?? 0); return fold(s); };
  assert.is(sum(out, 14, 20), 0xffff, 'IP header checksum');
  const pseudo = sum(out, 26, 8) + 6 + 30;
  assert.is(sum(out, 34, 30, pseudo), 0xffff, 'TCP checksum');
  // Back the other way (addressed to the NIC), with RX checksum checking on.
  const back = out.slice();
  back.set(MAC, 0); back.set(OTHER, 6);
  const bad = back.slice();
  bad[60] ^= 0xff; // corrupt the payload: TCP checksum now fails
  const ds = rxRing(r, 2);
  r.nic.write32(VRCR, VRCR_IPEN);
  startRx(r, ds[0]!);
  r.far.send(back); r.far.send(bad);
  r.clock.run();
  const ext = (d: number): number => r.view.getUint32(d + 12, true);
  assert.is(ext(ds[0]!), EXTSTS_IPPKT | EXTSTS_TCPPKT);
  assert.is(ext(ds[1]!), EXTSTS_IPPKT | EXTSTS_TCPPKT | EXTSTS_TCPERR);
});

test.run();
