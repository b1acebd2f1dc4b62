// Pure: the report behind an "Optimize for speed" result, as the server gives it.
//
// The server puts a markdown `details` string (before/after diff, per-input timings, the rules applied with their
// one-line why, the evidence) in the resolved code action's `data`, or, for clients that get a command instead of
// an edit, in the command's first argument. The notification then offers "Show details" (detailsView.ts).
// No `vscode` import here: node's test runner loads this module directly.

export interface ActionLike {
  title?: string;
  data?: unknown;
  command?: { arguments?: unknown[] };
}

/** The markdown report of a resolved action, when the server sent one. */
export function actionDetails(action: ActionLike): string | undefined {
  for (const holder of [action.data, action.command?.arguments?.[0]]) {
    const details = typeof holder === 'object' && holder !== null ? (holder as { details?: unknown }).details : undefined;
    if (typeof details === 'string' && details.trim() !== '') {
      return details;
    }
  }
  return undefined;
}

/** A file name for the report's tab: "Optimize for speed - slow.py.md" (no path separators). */
export function detailsName(documentPath: string): string {
  const base = documentPath.split(/[\\/]/).pop() || 'untitled';
  return `Optimize for speed - ${base}.md`;
}
