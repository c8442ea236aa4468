// world graph: prints the step graph as Graphviz dot or a Mermaid flowchart.
import { openSession, selectOrReport, WORLD_OPTION_HELP } from './common.ts';
import { parseCommandArgs, UsageError, type Command } from './command.ts';
import type { Session } from '../session.ts';

export function renderGraph(session: Session, ids: string[], format: 'dot' | 'mermaid'): string {
  const n = new Map(ids.map((id, i) => [id, `s${i}`]));
  const lines: string[] = [];
  if (format === 'dot') {
    lines.push('digraph world {', '  rankdir=LR;', '  node [shape=box];');
    for (const id of ids) lines.push(`  ${n.get(id)} [label=${JSON.stringify(id)}];`);
    for (const id of ids) for (const d of session.step(id).deps) if (n.has(d)) lines.push(`  ${n.get(d)} -> ${n.get(id)};`);
    lines.push('}');
  } else {
    lines.push('flowchart LR');
    for (const id of ids) lines.push(`  ${n.get(id)}["${id}"]`);
    for (const id of ids) for (const d of session.step(id).deps) if (n.has(d)) lines.push(`  ${n.get(d)} --> ${n.get(id)}`);
  }
  return lines.join('\n') + '\n';
}

export const command: Command = {
  name: 'graph',
  summary: 'print the step graph as Graphviz dot or Mermaid',
  usage: `usage: world graph [options] [target...]

Prints every step the targets need and the edges between them (previous stage, dependencies).

options:
${WORLD_OPTION_HELP}
      --format <f>    dot (default) or mermaid
`,
  async run(args) {
    const parsed = parseCommandArgs({ args, allowPositionals: true, options: { file: { type: 'string', short: 'f' }, format: { type: 'string' } } });
    const format = parsed.values.format ?? 'dot';
    if (format !== 'dot' && format !== 'mermaid') throw new UsageError(`--format expects dot or mermaid, got '${format}'`);
    const session = await openSession(parsed.values.file);
    if (!session) return 2;
    const ids = selectOrReport(session, parsed.positionals);
    if (!ids) return 2;
    process.stdout.write(renderGraph(session, ids, format));
    return 0;
  },
};
