// The linux recipe's small parts, without building a kernel: the fragment checker against a
// synthetic .config (a symbol olddefconfig dropped is named, with what it wanted and got), and
// the initramfs writer read back by GNU cpio (the oracle) into the same files, modes and device.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lostMessage, lostSymbols, parseKconfig } from '../../recipes/lib/kconfig.ts';
import { newcArchive } from '../../recipes/lib/newc.ts';

const fragment = parseKconfig([
  '# comment lines and blank ones are skipped', '',
  'CONFIG_M486SX=y', 'CONFIG_PCI_GODIRECT=y', '# CONFIG_SMP is not set', '# CONFIG_ACPI is not set',
  'CONFIG_INITRAMFS_SOURCE=""', 'CONFIG_HZ=100',
].join('\n'));

test('every fragment symbol kept: nothing lost', () => {
  const config = parseKconfig('CONFIG_M486SX=y\nCONFIG_PCI_GODIRECT=y\n# CONFIG_SMP is not set\nCONFIG_INITRAMFS_SOURCE=""\nCONFIG_HZ=100\n');
  // ACPI absent from the .config altogether counts as not set, which is what the fragment asks.
  assert.equal(lostSymbols(fragment, config), []);
});

test('symbols olddefconfig changed or dropped are named with wanted and got', () => {
  // As olddefconfig leaves it when PCI_GODIRECT's choice is not offered and SMP was forced on.
  const config = parseKconfig('CONFIG_M486SX=y\nCONFIG_SMP=y\nCONFIG_INITRAMFS_SOURCE=""\nCONFIG_HZ=250\n');
  const lost = lostSymbols(fragment, config);
  assert.equal(lost.map((l) => l.symbol), ['PCI_GODIRECT', 'SMP', 'HZ']);
  const message = lostMessage(lost, 'guests/linux/config.fragment');
  assert.match(message, /^3 symbols of guests\/linux\/config\.fragment did not keep their values after olddefconfig/);
  assert.match(message, /CONFIG_PCI_GODIRECT \(wanted y, got not set\)/);
  assert.match(message, /CONFIG_SMP \(wanted not set, got y\)/);
  assert.match(message, /CONFIG_HZ \(wanted 100, got 250\)/);
});

test('the newc archive unpacks with GNU cpio into the same entries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'world-newc-'));
  try {
    const init = Buffer.from('\x7fELF pretend program, 31 bytes');
    const archive = newcArchive([
      { type: 'dir', name: 'dev', mode: 0o755 },
      { type: 'char', name: 'dev/console', mode: 0o600, major: 5, minor: 1 },
      { type: 'dir', name: 'proc', mode: 0o755 },
      { type: 'file', name: 'init', mode: 0o755, data: init },
    ]);
    assert.is(archive.length % 4, 0);
    writeFileSync(join(dir, 'a.cpio'), archive);
    const listing = execFileSync('cpio', ['-itv', '--quiet', '-F', join(dir, 'a.cpio')], { encoding: 'utf8' });
    const lines = listing.trim().split('\n').map((l) => l.split(/\s+/));
    assert.equal(lines.map((f) => f[0]), ['drwxr-xr-x', 'crw-------', 'drwxr-xr-x', '-rwxr-xr-x']);
    assert.equal(lines.map((f) => f[f.length - 1]), ['dev', 'dev/console', 'proc', 'init']);
    assert.ok(/\b5,\s*1\b/.test(listing), `cpio lists dev/console as device 5,1:\n${listing}`);
    // Extract the regular file (devices need root) and compare its bytes and mode.
    execFileSync('cpio', ['-id', '--quiet', '-F', join(dir, 'a.cpio'), 'init'], { cwd: dir });
    assert.ok(readFileSync(join(dir, 'init')).equals(init));
    assert.is(statSync(join(dir, 'init')).mode & 0o777, 0o755);
    // Same entries, same bytes.
    assert.ok(newcArchive([{ type: 'file', name: 'init', mode: 0o755, data: init }]).equals(newcArchive([{ type: 'file', name: 'init', mode: 0o755, data: init }])));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
