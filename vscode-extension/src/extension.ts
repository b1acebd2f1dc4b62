// Activation wiring only: the output channel, the status bar, the server controller and the commands.
// Activation is cheap: nothing here waits for the server; starting it runs in the background.

import * as vscode from 'vscode';
import { CLIENT_NAME, ServerController } from './client';
import { DetailsView } from './detailsView';
import { OPTIMIZE_COMMAND_ID, optimizeForSpeed } from './optimizeCommand';
import { needsRestart } from './settings';
import { StatusBar } from './statusBar';

let controller: ServerController | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  const status = new StatusBar();
  const server = new ServerController(context, output, status);
  const details = new DetailsView();
  controller = server;
  const showLog = () => output.show(true);
  context.subscriptions.push(
    output,
    status,
    server,
    details,
    vscode.commands.registerCommand(OPTIMIZE_COMMAND_ID, () =>
      optimizeForSpeed(server.languageClient, details, showLog, (m) => output.info(`[client] ${m}`)),
    ),
    vscode.commands.registerCommand('pyperf.restartServer', () => server.restart()),
    vscode.commands.registerCommand('pyperf.reinstallServer', () => server.reinstall()),
    vscode.commands.registerCommand('pyperf.showLog', showLog),
    // Other pyperf settings reach the running server through workspace/didChangeConfiguration (client.ts).
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (needsRestart((key) => event.affectsConfiguration(key))) {
        server.scheduleRestart();
      }
    }),
  );
  void server.start();
}

export function deactivate(): Promise<void> | undefined {
  const server = controller;
  controller = undefined;
  return server?.stop();
}
