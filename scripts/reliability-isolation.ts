// Runs every isolation attack (test/hypervisors/attacks.ts) and prints the table of attacks tried,
// stopped and named, with what the model said. Exits 1 unless every attack was stopped and named.
// usage: npm run reliability:isolation
import { runAttacks } from '../test/hypervisors/attacks.ts';

const results = await runAttacks();
console.log('| attack | back-end | stopped | named | what the model said |');
console.log('|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.attack} | ${r.backend} | ${r.stopped ? 'yes' : 'NO'} | ${r.named ? 'yes' : 'NO'} | ${r.evidence.replace(/\|/g, '\\|')} |`);
}
const stopped = results.filter((r) => r.stopped).length;
const named = results.filter((r) => r.stopped && r.named).length;
console.log(`\n${results.length} attacks tried, ${stopped} stopped, ${named} stopped and named`);
process.exitCode = named === results.length ? 0 : 1;
