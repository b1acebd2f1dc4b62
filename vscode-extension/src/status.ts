// Pure: what the status bar item says for each state of the server.
// No `vscode` import here: node's test runner loads this module directly.

export type ServerState =
  | { kind: 'starting' }
  | { kind: 'ready' }
  | { kind: 'working'; job: string }
  | { kind: 'stopped' }
  | { kind: 'missing'; interpreter: string } // the interpreter lacks the server package
  | { kind: 'no-interpreter'; interpreter: string };

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

export function statusView(state: ServerState, interpreter?: string): StatusView {
  const using = interpreter ? `\nInterpreter: ${interpreter}` : '';
  switch (state.kind) {
    case 'starting':
      return view('$(sync~spin) Pyperf: starting', `Pyperf server is starting${using}`);
    case 'ready':
      return view('$(zap) Pyperf: ready', `Pyperf server is ready${using}\nClick to show the server log`);
    case 'working':
      return view(`$(sync~spin) Pyperf: working: ${state.job}`, `Pyperf server is working on: ${state.job}${using}`);
    case 'stopped':
      return { ...view('$(circle-slash) Pyperf: stopped', `Pyperf server is not running${using}`), warning: true };
    case 'missing':
      return {
        text: '$(warning) Pyperf: server not installed',
        tooltip: `${state.interpreter} has no pyperf-assistant server.\nInstall it, then click to retry`,
        command: 'pyperf.restartServer',
        warning: true,
      };
    case 'no-interpreter':
      return {
        text: '$(warning) Pyperf: no Python',
        tooltip: `Cannot run ${state.interpreter}.\nSet pyperf.interpreter, then click to retry`,
        command: 'pyperf.restartServer',
        warning: true,
      };
  }
}

function view(text: string, tooltip: string): StatusView {
  return { text, tooltip, command: 'pyperf.showLog', warning: false };
}
