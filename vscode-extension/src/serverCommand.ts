// Pure: the server's command line (run by the private environment's python, environment.ts) and what that
// environment installs.
//
// The client passes this command line to vscode-languageclient *without* a `transport`, so the arguments below
// are exactly what runs (with `TransportKind.stdio` the client would append `--stdio` itself). The JSON-RPC test
// (src/test/jsonrpc.test.ts) starts the real server from this same function.
// No `vscode` import here: node's test runner loads this module directly.

import * as fs from 'node:fs';
import * as path from 'node:path';

export const SERVER_MODULE = 'server';
export const WHEEL_PATTERN = /^pyperf_assistant-[^-]+-py3-none-any\.whl$/;

export interface ServerCommand {
  command: string;
  args: string[];
  options: { cwd: string; env: Record<string, string | undefined> };
}

/**
 * `<interpreter> -m server --stdio [serverArgs]`, run from `cwd`.
 *
 * `cwd` should be a folder without a `server` package (the extension's own folder): `python -m` puts the
 * working directory first on sys.path, so a workspace with a `server/` package of its own would shadow ours.
 * The server learns the workspace from `initialize`, not from its working directory.
 */
export function serverCommand(
  interpreter: string,
  serverArgs: readonly string[],
  cwd: string,
  baseEnv: Record<string, string | undefined> = process.env,
): ServerCommand {
  // The private environment is whole: a PYTHONPATH or PYTHONHOME meant for the user's Python must not reach it.
  const { PYTHONPATH: _path, PYTHONHOME: _home, ...env } = baseEnv;
  return {
    command: interpreter,
    args: ['-m', SERVER_MODULE, '--stdio', ...serverArgs],
    // Unbuffered stderr: log lines reach the output channel as they are written.
    options: { cwd, env: { ...env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' } },
  };
}

/** The bundled wheel in `<extension>/bundled/`, if the .vsix has one. */
export function findBundledWheel(extensionDir: string): string | undefined {
  const folder = path.join(extensionDir, 'bundled');
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return undefined;
  }
  const wheel = names.filter((name) => WHEEL_PATTERN.test(name)).sort().pop();
  return wheel ? path.join(folder, wheel) : undefined;
}

/**
 * What the private environment installs (environment.ts): the wheel the .vsix bundles, else, when the extension
 * runs from a source checkout (the Extension Development Host), the project folder around it.
 */
export function installSource(extensionDir: string): string | undefined {
  const wheel = findBundledWheel(extensionDir);
  if (wheel) {
    return wheel;
  }
  const project = path.resolve(extensionDir, '..');
  return fs.existsSync(path.join(project, 'pyproject.toml')) ? project : undefined;
}
