// Pure: what the status bar item says for each state of the server.
// No `vscode` import here: node's test runner loads this module directly.

export type ServerState =
  | { kind: 'starting' }
  | { kind: 'ready' }
  | { kind: 'working'; job: string }
  | { kind: 'stopped' }
  | { kind: 'installing' } // the private environment is being made (environment.ts)
  | { kind: 'setup-failed' }
  | { kind: 'no-python' }; // no Python >= 3.11 to make the private environment from

export interface StatusView {
  text: string;
  tooltip: string;
  /** The command a click runs: the log, or a retry where the user has something to fix first. */
  command: 'pyperf.showLog' | 'pyperf.restartServer';
  warning: boolean;
}

/** The server's `pyperf/status` notification (server/lsp.py) as a state; undefined for anything else. */
export function stateFromNotification(params: unknown): ServerState | undefined {
  if (typeof params !== 'object' || params === null) {
    return undefined;
  }
  const { state, job } = params as { state?: unknown; job?: unknown };
  if (state === 'working') {
    return { kind: 'working', job: typeof job === 'string' && job ? job : 'optimizing' };
  }
  if (state === 'ready') {
    return { kind: 'ready' };
  }
  return undefined;
}

/** `interpreter`: the Python that runs the user's code (the server runs from its private environment). */
export function statusView(state: ServerState, interpreter?: string): StatusView {
  const using = interpreter ? `\nYour code runs with: ${interpreter}` : '';
  switch (state.kind) {
    case 'starting':
      return view('$(sync~spin) Pyperf: starting', `Pyperf server is starting${using}`);
    case 'ready':
      return view('$(zap) Pyperf: ready', `Pyperf server is ready${using}\nClick to show the server log`);
    case 'working':
      return view(`$(sync~spin) Pyperf: working: ${state.job}`, `Pyperf server is working on: ${state.job}${using}`);
    case 'stopped':
      return { ...view('$(circle-slash) Pyperf: stopped', `Pyperf server is not running${using}`), warning: true };
    case 'installing':
      return view(
        '$(sync~spin) Pyperf: setting up',
        'Installing the Pyperf server into its own environment (first use or an update)\nClick to show the log',
      );
    case 'setup-failed':
      return retry('$(warning) Pyperf: setup failed', 'Installing the Pyperf server failed (see the log)\nClick to retry');
    case 'no-python':
      return retry(
        '$(warning) Pyperf: needs Python 3.11+',
        'The Pyperf server needs Python 3.11 or newer and none was found.\nInstall one (or set pyperf.interpreter), then click to retry',
      );
  }
}

function view(text: string, tooltip: string): StatusView {
  return { text, tooltip, command: 'pyperf.showLog', warning: false };
}

function retry(text: string, tooltip: string): StatusView {
  return { text, tooltip, command: 'pyperf.restartServer', warning: true };
}
