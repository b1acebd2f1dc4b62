// Pure interpreter lookup: which Python runs the server.
//
// Order (as microsoft/vscode-python-tools-extension-template and ruff-vscode do it):
//   1. the `pyperf.interpreter` setting, expanded (settings.ts);
//   2. the interpreter selected in the Python extension (ms-python.python), when that extension is installed;
//   3. `python3` on PATH (`python` on Windows, where `python3` is often the Store stub).
// The Python extension is only asked when the setting is empty: activating it is not free.
// No `vscode` import here: the caller passes the Python extension's API (or nothing).

export type InterpreterSource = 'setting' | 'python-extension' | 'default';

export interface Interpreter {
  path: string;
  source: InterpreterSource;
}

/** The part of the Python extension's exported API that we use (environments API, and the older settings API). */
export interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: unknown): { id?: string; path: string } | undefined;
    resolveEnvironment(
      env: { id?: string; path: string } | string,
    ): Promise<{ executable?: { uri?: { fsPath: string } } } | undefined>;
  };
  settings?: {
    getExecutionDetails(resource?: unknown): { execCommand?: string[] } | undefined;
  };
}

export function defaultInterpreter(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'python' : 'python3';
}

/**
 * The interpreter to use. `configured` is the expanded setting ('' when unset); `fromPythonExtension` is only
 * called when the setting is empty and may answer undefined (no extension, nothing selected, an error).
 */
export async function resolveInterpreter(
  configured: string,
  fromPythonExtension: () => Promise<string | undefined>,
  platform: NodeJS.Platform = process.platform,
): Promise<Interpreter> {
  if (configured.trim() !== '') {
    return { path: configured.trim(), source: 'setting' };
  }
  let selected: string | undefined;
  try {
    selected = await fromPythonExtension();
  } catch {
    selected = undefined; // a broken or still-loading Python extension must not stop the server
  }
  if (selected && selected.trim() !== '') {
    return { path: selected.trim(), source: 'python-extension' };
  }
  return { path: defaultInterpreter(platform), source: 'default' };
}

/** The interpreter the Python extension has selected for `resource`, from its exported API. */
export async function pythonExtensionInterpreter(
  api: PythonExtensionApi | undefined,
  resource?: unknown,
): Promise<string | undefined> {
  if (!api) {
    return undefined;
  }
  if (api.environments) {
    const active = api.environments.getActiveEnvironmentPath(resource);
    if (active) {
      const resolved = await api.environments.resolveEnvironment(active);
      const executable = resolved?.executable?.uri?.fsPath;
      if (executable) {
        return executable;
      }
    }
  }
  // Older releases of the Python extension: the interpreter's command line (first item: the executable).
  const command = api.settings?.getExecutionDetails(resource)?.execCommand;
  return command && command.length > 0 ? command[0] : undefined;
}
