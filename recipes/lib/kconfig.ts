// Kconfig fragments: reading `CONFIG_X=value` and `# CONFIG_X is not set` lines, and checking that
// every symbol a fragment sets kept its value in the .config that `olddefconfig` wrote. olddefconfig
// silently drops a value whose dependencies are missing (or a symbol this kernel does not have),
// so without this check a fragment could say PCI_GODIRECT while the kernel is built without it.

/** Symbol -> value as written after `=`, or 'n' for `# CONFIG_X is not set`. */
export type KconfigValues = Map<string, string>;

const SET = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# CONFIG_([A-Za-z0-9_]+) is not set$/;

/** Reads a .config or a fragment; other comments and blank lines are skipped, a later line wins. */
export function parseKconfig(text: string): KconfigValues {
  const out: KconfigValues = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = SET.exec(line);
    if (m) { out.set(m[1]!, m[2]!); continue; }
    m = UNSET.exec(line);
    if (m) out.set(m[1]!, 'n');
  }
  return out;
}

export interface LostSymbol { symbol: string; wanted: string; got: string }

/** The fragment's symbols whose value the final .config does not have (absent counts as 'n'). */
export function lostSymbols(fragment: KconfigValues, config: KconfigValues): LostSymbol[] {
  const lost: LostSymbol[] = [];
  for (const [symbol, wanted] of fragment) {
    const got = config.get(symbol) ?? 'n';
    if (got !== wanted) lost.push({ symbol, wanted, got });
  }
  return lost;
}

const shown = (v: string): string => (v === 'n' ? 'not set' : v);

/** The configure stage's error for lost symbols, naming each. */
export function lostMessage(lost: LostSymbol[], fragmentName: string): string {
  return `${lost.length} symbol${lost.length === 1 ? '' : 's'} of ${fragmentName} did not keep ${lost.length === 1 ? 'its value' : 'their values'} ` +
    'after olddefconfig (a dependency is missing, or the kernel has no such symbol): ' +
    lost.map((l) => `CONFIG_${l.symbol} (wanted ${shown(l.wanted)}, got ${shown(l.got)})`).join(', ');
}
