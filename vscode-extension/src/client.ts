// The language client's lifecycle: make sure the server's private environment exists (environment.ts), start
// `<environment python> -m server` with the user's interpreter in its settings (the Python that runs the user's
// code), feed it resolved settings, restart it when the command line changes (debounced), stop it cleanly.

import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  CancellationToken,
  ConfigurationParams,
  ConfigurationRequest,
  LanguageClient,
  LanguageClientOptions,
  LogMessageNotification,
  RevealOutputChannelOn,
  ResponseError,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';
import { Debouncer } from './debounce';
import { baseCandidates, EnsureResult, EnvironmentManager, FALLBACK_EXTRAS, spawnRunner } from './environment';
import { Interpreter, PythonExtensionApi, pythonExtensionInterpreter, resolveInterpreter } from './interpreter';
import { installSource, serverCommand } from './serverCommand';
import { ServerLogParser } from './serverLog';
import { clientSettings, ExpansionContext, SECTION, serverSettings } from './settings';
import { stateFromNotification } from './status';
import { StatusBar } from './statusBar';

export const CLIENT_ID = 'pyperf'; // also the prefix of the `pyperf.trace.server` setting
export const CLIENT_NAME = 'Pyperf Assistant';
export const STATUS_NOTIFICATION = 'pyperf/status'; // sent by server/lsp.py when a job starts and ends
const RESTART_DEBOUNCE_MS = 1000;
const STOP_TIMEOUT_MS = 5000;
const PYTHON_EXTENSION_ID = 'ms-python.python';

export class ServerController implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private interpreter: Interpreter | undefined;
  /** The Python that runs the user's code, when one is set or selected (the server's own Python otherwise). */
  private userInterpreter: string | undefined;
  // start/stop/restart run one after another: a restart requested while starting waits for the start.
  private queue: Promise<void> = Promise.resolve();
  private readonly restartDebounce = new Debouncer(RESTART_DEBOUNCE_MS, () => void this.restart());
  private readonly notified = new Set<string>(); // one notification per interpreter and problem, not a storm
  private readonly disposables: vscode.Disposable[] = [];
  private pythonApiWatched = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    private readonly status: StatusBar,
  ) {}

  /** The running client, for commands that talk to the server (undefined while it is not running). */
  get languageClient(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  restart(): Promise<void> {
    this.restartDebounce.cancel();
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  /** Restart once, a moment after the last of a burst of changes (interpreter picked, settings saved). */
  scheduleRestart(): void {
    this.restartDebounce.trigger();
  }

  /** "Reinstall server": the private environment is deleted and made anew, then the server starts from it. */
  reinstall(): Promise<void> {
    this.restartDebounce.cancel();
    return this.enqueue(async () => {
      await this.doStop();
      this.environment().remove();
      this.notified.clear();
      await this.doStart();
    });
  }

  stop(): Promise<void> {
    this.restartDebounce.cancel();
    return this.enqueue(() => this.doStop());
  }

  dispose(): void {
    this.restartDebounce.cancel();
    this.disposables.forEach((d) => d.dispose());
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step, step);
    this.queue = next.catch((err) => this.log(`error: ${err instanceof Error ? err.message : String(err)}`));
    return this.queue;
  }

  private async doStart(): Promise<void> {
    const folder = this.workspaceFolder();
    const ctx = expansionContext(folder);
    const section = vscode.workspace.getConfiguration(undefined, folder?.uri).get(SECTION);
    const settings = clientSettings(section, ctx);
    this.status.set({ kind: 'starting' });
    const interpreter = await resolveInterpreter(settings.interpreter, () => this.fromPythonExtension(folder?.uri));
    this.interpreter = interpreter;
    // The default (`python3` on PATH) is only a candidate base for the private environment; the user's code
    // then runs with the server's own Python, which the server knows without being told.
    this.userInterpreter = interpreter.source === 'default' ? undefined : interpreter.path;
    this.status.setInterpreter(this.userInterpreter);
    this.log(`your code runs with: ${this.userInterpreter ?? "the server's Python"} (${describeSource(interpreter)})`);

    const python = await this.ensureEnvironment();
    if (!python) {
      return;
    }
    const cwd = this.context.extensionPath;
    const command = serverCommand(python, settings.serverArgs, cwd);
    this.log(`starting: ${command.command} ${command.args.join(' ')}`);
    const serverOptions: ServerOptions = { command: command.command, args: command.args, options: command.options };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'python' },
        { scheme: 'untitled', language: 'python' },
      ],
      outputChannel: this.output,
      // The server's stderr is its whole log: written here once, at each record's level (serverLog.ts).
      // (stdout is the LSP stream itself with this transport: the client never hands it to `stdout`.)
      stdioOptions: { stderr: (input) => this.pipeServerLog(input), stdout: (input) => this.pipeServerLog(input) },
      revealOutputChannelOn: RevealOutputChannelOn.Never, // the status bar links to it; no pop-ups
      initializationOptions: { [SECTION]: serverSettings(section, ctx, this.userInterpreter) },
      // A settings change sends workspace/didChangeConfiguration; the server then pulls the section again,
      // through the middleware below, so paths reach it expanded. No restart needed.
      synchronize: { configurationSection: SECTION },
      middleware: {
        workspace: {
          configuration: (params, token, next) => this.resolveConfiguration(params, token, next),
        },
      },
    };
    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    client.onDidChangeState((event) => {
      if (this.client !== client) {
        return; // an old client stopping after a restart says nothing about the new one
      }
      if (event.newState === State.Starting) {
        this.status.set({ kind: 'starting' });
      } else if (event.newState === State.Running) {
        this.status.set({ kind: 'ready' });
      } else {
        this.status.set({ kind: 'stopped' });
      }
    });
    // window/logMessage repeats the log records that stderr already carries: drop the copies.
    client.onNotification(LogMessageNotification.type, () => undefined);
    client.onNotification(STATUS_NOTIFICATION, (params: unknown) => {
      const state = stateFromNotification(params);
      if (state && this.client === client) {
        this.status.set(state);
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (err) {
      this.status.set({ kind: 'stopped' });
      this.log(`the server did not start: ${err instanceof Error ? err.message : String(err)}`);
      this.notifyOnce(`start-failed:${python}`, () =>
        vscode.window
          .showErrorMessage(`${CLIENT_NAME}: the server did not start.`, 'Show log', 'Reinstall server')
          .then((choice) => this.onChoice(choice)),
      );
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.dispose(STOP_TIMEOUT_MS); // shutdown + exit; the server kills its jobs and model host
      } catch (err) {
        this.log(`stopping the server: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.status.set({ kind: 'stopped' });
  }

  private pipeServerLog(stream: NodeJS.ReadableStream): void {
    const parser = new ServerLogParser();
    const write = (lines: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error'; text: string }[]) =>
      lines.forEach((line) => this.output[line.level](line.text));
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => write(parser.feed(chunk)));
    stream.on('end', () => write(parser.flush()));
  }

  /** workspace/configuration answers with client-only keys removed and paths expanded for the item's folder. */
  private async resolveConfiguration(
    params: ConfigurationParams,
    token: CancellationToken,
    next: ConfigurationRequest.HandlerSignature,
  ): Promise<unknown[] | ResponseError<void>> {
    const result = await next(params, token);
    if (!Array.isArray(result)) {
      return result;
    }
    return result.map((value, index) => {
      const item = params.items[index];
      if (item?.section !== SECTION) {
        return value;
      }
      const folder = item.scopeUri
        ? vscode.workspace.getWorkspaceFolder(vscode.Uri.parse(item.scopeUri))
        : this.workspaceFolder();
      return serverSettings(value, expansionContext(folder), this.userInterpreter);
    });
  }

  /** The interpreter selected in the Python extension, when installed; watches its changes from then on. */
  private async fromPythonExtension(resource?: vscode.Uri): Promise<string | undefined> {
    const extension = vscode.extensions.getExtension<PythonExtensionApi & WatchableApi>(PYTHON_EXTENSION_ID);
    if (!extension) {
      return undefined;
    }
    const api = extension.isActive ? extension.exports : await extension.activate();
    const changed = api?.environments?.onDidChangeActiveEnvironmentPath;
    if (!this.pythonApiWatched && typeof changed === 'function') {
      this.pythonApiWatched = true;
      this.disposables.push(
        changed(() => {
          if (this.interpreter?.source !== 'setting') {
            this.scheduleRestart();
          }
        }),
      );
    }
    return pythonExtensionInterpreter(api, resource);
  }

  /** The private environment's python, made first (with a progress notification) when missing or outdated. */
  private async ensureEnvironment(): Promise<string | undefined> {
    const source = installSource(this.context.extensionPath);
    if (!source) {
      this.status.set({ kind: 'setup-failed' });
      this.log('this build of the extension bundles no server wheel (build it with `npm run package`)');
      return undefined;
    }
    const manager = this.environment(source);
    let result: EnsureResult;
    if (manager.current()) {
      result = await manager.ensure();
    } else {
      this.status.set({ kind: 'installing' });
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `${CLIENT_NAME}: setting up the server` },
        (progress) => manager.ensure((message) => progress.report({ message })),
      );
    }
    if (result.kind === 'ready') {
      if (result.marker.extras === FALLBACK_EXTRAS) {
        this.notifyOnce('no-llm', () =>
          vscode.window
            .showWarningMessage(
              `${CLIENT_NAME}: the local LLM could not be installed (llama-cpp-python needs a C/C++ compiler ` +
                'and CMake); the rules and the knowledge base work. Install them, then run "Pyperf: Reinstall server".',
              'Show log',
            )
            .then((choice) => this.onChoice(choice)),
        );
      }
      return result.python;
    }
    if (result.kind === 'no-python') {
      this.status.set({ kind: 'no-python' });
      this.log(`no Python 3.11 or newer found (tried: ${result.tried.join(', ')})`);
      this.notifyOnce('no-python', () =>
        vscode.window
          .showErrorMessage(
            `${CLIENT_NAME} needs Python 3.11 or newer for its server, and none was found. Install one ` +
              '(python.org, your package manager, or `uv python install 3.12`), then click Retry.',
            'Retry',
            'Open settings',
          )
          .then((choice) => this.onChoice(choice)),
      );
      return undefined;
    }
    this.status.set({ kind: 'setup-failed' });
    this.notifyOnce('setup-failed', () =>
      vscode.window
        .showErrorMessage(`${CLIENT_NAME}: setting up the server failed while ${result.step}.`, 'Show log', 'Retry')
        .then((choice) => this.onChoice(choice)),
    );
    return undefined;
  }

  /** The manager of the server's private environment, in the extension's global storage. */
  private environment(source = installSource(this.context.extensionPath) ?? ''): EnvironmentManager {
    return new EnvironmentManager({
      storageDir: this.context.globalStorageUri.fsPath,
      extensionVersion: String(this.context.extension.packageJSON.version),
      source,
      candidates: baseCandidates(this.userInterpreter ?? this.interpreter?.path),
      run: spawnRunner,
      log: (message) => this.log(message),
    });
  }

  /** What a notification's button does. */
  private onChoice(choice: string | undefined): void {
    if (choice === 'Show log') {
      this.output.show(true);
    } else if (choice === 'Retry') {
      this.notified.clear();
      void this.restart();
    } else if (choice === 'Reinstall server') {
      void this.reinstall();
    } else if (choice === 'Open settings') {
      void vscode.commands.executeCommand('workbench.action.openSettings', 'pyperf.interpreter');
    }
  }

  private notifyOnce(key: string, show: () => unknown): void {
    if (!this.notified.has(key)) {
      this.notified.add(key);
      show();
    }
  }

  /** One server per window, for the first workspace folder (or the active file's folder). */
  private workspaceFolder(): vscode.WorkspaceFolder | undefined {
    const active = vscode.window.activeTextEditor?.document.uri;
    return vscode.workspace.workspaceFolders?.[0] ?? (active && vscode.workspace.getWorkspaceFolder(active));
  }

  private log(message: string): void {
    this.output.info(`[client] ${message}`);
  }
}

interface WatchableApi {
  environments?: { onDidChangeActiveEnvironmentPath?: (listener: () => void) => vscode.Disposable };
}

function expansionContext(folder: vscode.WorkspaceFolder | undefined): ExpansionContext {
  return { workspaceFolder: folder?.uri.fsPath, home: os.homedir(), env: process.env };
}

function describeSource(interpreter: Interpreter): string {
  switch (interpreter.source) {
    case 'setting':
      return 'pyperf.interpreter';
    case 'python-extension':
      return 'selected in the Python extension';
    case 'default':
      return 'default; set pyperf.interpreter or select one in the Python extension to change it';
  }
}
