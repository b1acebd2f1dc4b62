// The real Python server, started exactly the way the extension starts it (serverCommand.ts, settings.ts), spoken
// to over JSON-RPC like vscode-languageclient does: handshake, diagnostics, one "Optimize for speed" resolved and
// applied, the pyperf/status notifications, a clean shutdown. Catches wiring bugs (a `--stdio` the server
// rejects, a command id that clashes with the server's, settings the server calls unknown).
//
// The interpreter: $PYPERF_PYTHON, else the project's ../.venv/bin/python; skipped, saying so, when absent.

import * as assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import {
  createProtocolConnection,
  ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { serverCommand } from '../serverCommand';
import { serverSettings } from '../settings';

const EXTENSION_DIR = path.resolve(__dirname, '..', '..');
const PYTHON = process.env.PYPERF_PYTHON || path.resolve(EXTENSION_DIR, '..', '.venv', 'bin', 'python');
const SKIP = fs.existsSync(PYTHON) ? false : `no interpreter at ${PYTHON} (set PYPERF_PYTHON)`;
const OPTIMIZE_KIND = 'refactor.rewrite.pyperf';

// Reads n numbers one input() and one print() at a time: the rules make it measurably faster on a big input.
const SLOW_PROGRAM = [
  'import os',
  'n = int(input())',
  'total = 0',
  'for i in range(n):',
  '    x = int(input())',
  '    total += x',
  '    print(x)',
  'print(total)',
  '',
].join('\n');
const BIG_INPUT = '60000\n' + Array.from({ length: 60000 }, (_, i) => `${i % 97}\n`).join('');

// The user's `pyperf` section as VS Code would hand it over: client keys included, rules only (no model load).
const SECTION = {
  interpreter: PYTHON,
  serverArgs: [],
  trace: { server: 'off' },
  hover: { enabled: false },
  engines: { rules: true, llm: false, retrieval: false },
  diagnostics: { debounceMs: 50 },
  verification: { timeBudgetSeconds: 90 },
};

let server: cp.ChildProcess | undefined;
let connection: ProtocolConnection | undefined;
let workspace = '';
let stderr = '';
const messages: { type: number; message: string }[] = [];
const statuses: unknown[] = [];
const diagnostics = new Map<string, unknown[]>();

before(() => {
  if (SKIP) {
    return;
  }
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'pyperf-jsonrpc-'));
  const ctx = { workspaceFolder: workspace, home: os.homedir(), env: process.env };
  const command = serverCommand(PYTHON, [], EXTENSION_DIR);
  server = cp.spawn(command.command, command.args, { ...command.options, stdio: 'pipe' });
  server.stderr!.on('data', (chunk) => (stderr += chunk.toString()));
  connection = createProtocolConnection(
    new StreamMessageReader(server.stdout!),
    new StreamMessageWriter(server.stdin!),
  );
  // What vscode-languageclient answers, with the settings through the extension's middleware.
  connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
    params.items.map((item) => (item.section === 'pyperf' ? serverSettings(SECTION, ctx, PYTHON) : null)),
  );
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onRequest('client/registerCapability', () => null);
  connection.onNotification('window/showMessage', (m: { type: number; message: string }) => {
    messages.push(m);
  });
  connection.onNotification('pyperf/status', (params: unknown) => {
    statuses.push(params);
  });
  connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: unknown[] }) => {
    diagnostics.set(p.uri, p.diagnostics);
  });
  connection.listen();
});

after(() => {
  connection?.dispose();
  if (server && server.exitCode === null) {
    server.kill('SIGKILL');
  }
  if (workspace) {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
});

test('handshake, diagnostics, Optimize for speed, status, shutdown', { skip: SKIP, timeout: 240_000 }, async () => {
  const conn = connection!;
  const ctx = { workspaceFolder: workspace, home: os.homedir(), env: process.env };
  const init = (await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: uri(workspace),
    workspaceFolders: [{ uri: uri(workspace), name: 'ws' }],
    initializationOptions: { pyperf: serverSettings(SECTION, ctx, PYTHON) },
    capabilities: {
      workspace: { configuration: true, workspaceEdit: { documentChanges: true } },
      window: { workDoneProgress: true },
      textDocument: {
        publishDiagnostics: {},
        codeAction: {
          dataSupport: true,
          resolveSupport: { properties: ['edit'] },
          codeActionLiteralSupport: { codeActionKind: { valueSet: ['refactor', 'refactor.rewrite', 'source', 'quickfix'] } },
        },
      },
    },
  })) as { capabilities: Record<string, any>; serverInfo?: { name: string } };
  assert.equal(init.serverInfo?.name, 'pyperf-assistant');
  const actions = init.capabilities.codeActionProvider;
  assert.equal(actions.resolveProvider, true);
  assert.ok(actions.codeActionKinds.includes(OPTIMIZE_KIND), JSON.stringify(actions));
  // vscode-languageclient registers the server's commands: ours must not clash with them.
  const serverCommands: string[] = init.capabilities.executeCommandProvider?.commands ?? [];
  const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'package.json'), 'utf8'));
  const ours: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command);
  assert.deepEqual(ours.filter((id) => serverCommands.includes(id)), [], `server commands: ${serverCommands}`);
  conn.sendNotification('initialized', {});

  const file = path.join(workspace, 'slow.py');
  fs.writeFileSync(file, SLOW_PROGRAM);
  fs.writeFileSync(path.join(workspace, 'input1.txt'), BIG_INPUT); // verification's stdin (a sibling input)
  const docUri = uri(file);
  conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri: docUri, languageId: 'python', version: 1, text: SLOW_PROGRAM },
  });
  await waitFor(() => (diagnostics.get(docUri)?.length ?? 0) > 0, 30_000, 'diagnostics');

  const here = { line: 3, character: 4 };
  const listed = (await conn.sendRequest('textDocument/codeAction', {
    textDocument: { uri: docUri },
    range: { start: here, end: here },
    context: { diagnostics: [], only: [OPTIMIZE_KIND], triggerKind: 1 },
  })) as { title: string; kind: string; edit?: unknown }[];
  assert.equal(listed.length, 1, JSON.stringify(listed));
  assert.equal(listed[0].kind, OPTIMIZE_KIND);
  assert.equal(listed[0].edit, undefined, 'listing is cheap: the edit comes with codeAction/resolve');
  assert.equal(statuses.length, 0);

  const resolved = (await conn.sendRequest('codeAction/resolve', listed[0])) as {
    title: string;
    edit?: { documentChanges: { edits: { range: Range; newText: string }[] }[] };
  };
  assert.match(resolved.title, /^Optimize for speed: [\d.]+x faster/, `${resolved.title}\n${stderr}`);
  assert.ok(resolved.edit, 'a verified rewrite comes with its edit');
  const after = applyEdits(SLOW_PROGRAM, resolved.edit.documentChanges[0].edits);
  assert.match(after, /sys\.stdin\.readline/);
  assert.deepEqual(statuses, [
    { state: 'working', job: 'Optimize for speed: slow.py' },
    { state: 'ready', job: null },
  ]);
  // Settings went through cleanly: no "unknown setting" or invalid value warning.
  assert.deepEqual(messages.filter((m) => m.type <= 2), []);

  await conn.sendRequest('shutdown');
  const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
  conn.sendNotification('exit');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000).unref());
  const code = await Promise.race([exited, timeout]);
  assert.equal(code, 0, stderr);
});

interface Range {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

function applyEdits(text: string, edits: { range: Range; newText: string }[]): string {
  const starts = [0];
  for (const line of text.split('\n')) {
    starts.push(starts[starts.length - 1] + line.length + 1);
  }
  const offset = (p: { line: number; character: number }) => starts[Math.min(p.line, starts.length - 1)] + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  for (const edit of sorted) {
    text = text.slice(0, offset(edit.range.start)) + edit.newText + text.slice(offset(edit.range.end));
  }
  return text;
}

function uri(file: string): string {
  return `file://${file.split(path.sep).map(encodeURIComponent).join('/')}`;
}

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}\n${stderr}`);
    }
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
