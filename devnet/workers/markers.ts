/**
 * Prompt markers that make the simulated workers force one outcome of SPEC §7.5 (the table
 * in devnet/README.md). They are read from the SD `prompt` or any GPT message `content`.
 */

export interface Markers {
  /** Two nodes call reportTaskError → "Task error reported". */
  error: boolean;
  /** Three pairwise different results → "Task result illegal". */
  illegal: boolean;
  /** Nobody answers: the creator cancels after the deadline → "Task Cancelled". */
  stuck: boolean;
  /** Wait this long before committing. */
  slowMs: number;
  /** The result node neither uploads nor reports. */
  noUpload: boolean;
  /** One node discloses a different result: success, and that node is slashed. */
  slash: boolean;
}

const MARKER = /\[devnet:(error|illegal|stuck|no-upload|slash|slow=(\d+))\]/g;

/** The texts a marker may appear in. */
function textsOf(taskType: number, args: Record<string, unknown>): string[] {
  if (taskType === 0) return typeof args.prompt === 'string' ? [args.prompt] : [];
  const messages = Array.isArray(args.messages) ? args.messages : [];
  return messages
    .map((m) => (m && typeof m === 'object' ? (m as { content?: unknown }).content : undefined))
    .filter((c): c is string => typeof c === 'string');
}

export function markersOf(taskType: number, args: Record<string, unknown>): Markers {
  const m: Markers = { error: false, illegal: false, stuck: false, slowMs: 0, noUpload: false, slash: false };
  for (const text of textsOf(taskType, args)) {
    for (const [, name, ms] of text.matchAll(MARKER)) {
      if (name === 'error') m.error = true;
      else if (name === 'illegal') m.illegal = true;
      else if (name === 'stuck') m.stuck = true;
      else if (name === 'no-upload') m.noUpload = true;
      else if (name === 'slash') m.slash = true;
      else m.slowMs = Math.max(m.slowMs, Math.min(Number(ms), 3_600_000));
    }
  }
  return m;
}
