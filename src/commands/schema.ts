// world schema: prints every world.yaml key with what it expects and its default.
import { schemaTable } from '../manifest/schema.ts';
import type { Command } from './command.ts';

export const command: Command = {
  name: 'schema',
  summary: 'list every world.yaml key, what it expects and its default',
  usage: `usage: world schema

Prints the world.yaml reference: key path, expected value, default, meaning. Unknown keys are
errors; recipe options are listed by 'world plan' errors and in each recipe.
`,
  async run() {
    const rows = schemaTable();
    for (const [key, expected, def, doc] of rows) {
      process.stdout.write(`${key}\n    expects: ${expected}\n    default: ${def}\n    ${doc}\n`);
    }
    return 0;
  },
};
