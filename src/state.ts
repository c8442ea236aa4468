// The record of each step's last successful build: its key, the key's inputs and the file listings
// of hashed trees. `world plan` compares the current inputs against it to say why a step must run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import type { KeyInputs } from './keys.ts';
import type { Layout } from './layout.ts';

export interface StepRecord extends KeyInputs {
  step: string;
  key: string;
  artifact: string;
}

function recordFile(layout: Layout, stepId: string): string {
  return join(layout.steps, `${stepId.replace(/[/\\]/g, '_')}.json`);
}

export function readRecord(layout: Layout, stepId: string): StepRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordFile(layout, stepId), 'utf8')) as StepRecord;
  } catch {
    return undefined;
  }
}

export function writeRecord(layout: Layout, record: StepRecord): void {
  writeFileAtomic(recordFile(layout, record.step), JSON.stringify(record) + '\n');
}
