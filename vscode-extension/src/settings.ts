// Pure settings resolution: what the client reads from `pyperf.*` and what the server gets.
//
// The VS Code settings are named `pyperf.<key path of the server's schema>` (server/settings.py), so the `pyperf`
// section maps 1:1 onto what the server parses. Three things happen on the client side only:
//  - keys that configure the client (serverArgs, trace) are taken out before the section is sent;
//  - `interpreter` is sent resolved (the setting, else the Python extension's selection, interpreter.ts): the
//    Python that runs the user's code; the server itself runs from its private environment (environment.ts);
//  - `~`, `${workspaceFolder}`, `${userHome}` and `${env:NAME}` are expanded in paths: VS Code does not expand
//    variables in settings, and the server only knows `~` and `$NAME`.
// No `vscode` import here: node's test runner loads this module directly.

import * as path from 'node:path';

export const SECTION = 'pyperf';

/** Keys of the `pyperf` section that the client consumes; the server ignores them too (server/settings.py). */
export const CLIENT_ONLY_KEYS: readonly string[] = ['serverArgs', 'trace'];

/** Keys whose change needs a new server process (the command line changes); the rest reach it live. */
export const RESTART_KEYS: readonly string[] = ['interpreter', 'serverArgs'].map((key) => `${SECTION}.${key}`);

/** Server settings that hold a file or folder path. */
export const PATH_KEYS: readonly string[] = ['modelPath', 'kbPath', 'embedderPath'];

export interface ExpansionContext {
  /** File-system path of the workspace folder the settings belong to, when there is one. */
  workspaceFolder?: string;
  /** The user's home folder (os.homedir()). */
  home: string;
  /** Environment for `${env:NAME}` (process.env). */
  env?: Record<string, string | undefined>;
}

export interface ClientSettings {
  /** The configured interpreter for the user's code, expanded; '' when unset (the lookup of interpreter.ts). */
  interpreter: string;
  /** Extra arguments for `python -m server`. */
  serverArgs: string[];
}

/** `value` with `~`, `${userHome}`, `${workspaceFolder}` and `${env:NAME}` expanded. */
export function expandPath(value: string, ctx: ExpansionContext): string {
  let text = value.trim();
  text = text.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (whole, name, envName) => {
    if (name === 'userHome') {
      return ctx.home;
    }
    if (name === 'workspaceFolder') {
      // Left as it is without a folder: the server then reports the path as missing, which says what is wrong.
      return ctx.workspaceFolder ?? whole;
    }
    return ctx.env?.[envName] ?? '';
  });
  if (text === '~') {
    return ctx.home;
  }
  if (text.startsWith('~/') || text.startsWith('~\\')) {
    return path.join(ctx.home, text.slice(2));
  }
  return text;
}

/** The client's own settings out of the `pyperf` section (a plain object, as `getConfiguration().get('pyperf')`). */
export function clientSettings(section: unknown, ctx: ExpansionContext): ClientSettings {
  const raw = isObject(section) ? section : {};
  const interpreter = typeof raw.interpreter === 'string' ? expandPath(raw.interpreter, ctx) : '';
  const serverArgs = Array.isArray(raw.serverArgs)
    ? raw.serverArgs.filter((arg): arg is string => typeof arg === 'string' && arg.length > 0)
    : [];
  return { interpreter, serverArgs };
}

/**
 * The section as the server should get it: client-only keys removed, paths expanded, an empty path as null
 * (the server's "use the default"), `interpreter` replaced by `userInterpreter` (the resolved one; left out when
 * none is known: the server then runs the user's code with its own Python). Everything else passes through
 * untouched: the server validates it and says what it rejected.
 */
export function serverSettings(
  section: unknown,
  ctx: ExpansionContext,
  userInterpreter?: string,
): Record<string, unknown> {
  const raw = isObject(section) ? section : {};
  const result: Record<string, unknown> = userInterpreter ? { interpreter: userInterpreter } : {};
  for (const [key, value] of Object.entries(raw)) {
    if (CLIENT_ONLY_KEYS.includes(key) || key === 'interpreter') {
      continue;
    }
    if (PATH_KEYS.includes(key) && typeof value === 'string') {
      const expanded = expandPath(value, ctx);
      result[key] = expanded === '' ? null : expanded;
    } else {
      result[key] = value;
    }
  }
  return result;
}

/** Whether a configuration change (VS Code's `affectsConfiguration`) needs a server restart. */
export function needsRestart(affects: (key: string) => boolean): boolean {
  return RESTART_KEYS.some((key) => affects(key));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
