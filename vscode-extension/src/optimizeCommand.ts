// "Optimize for speed" as a command (palette, editor context menu): the server's code action for the selection,
// or for the function/block at the cursor, resolved (that runs the optimizer and its verification) and applied.
//
// It talks LSP to the server directly (textDocument/codeAction, then codeAction/resolve) instead of going through
// `vscode.executeCodeActionProvider`: VS Code keeps only the edit of a resolved action, not its new title, and
// the title is where the server says what it measured ("Optimize for speed: 3.1x faster (verified on ...)").
// Going direct also lets the user cancel: the request's cancellation reaches the server, which kills the job.

import * as vscode from 'vscode';
import { CodeAction, CodeActionRequest, CodeActionResolveRequest, LanguageClient } from 'vscode-languageclient/node';
import { actionDetails } from './details';
import { DetailsView } from './detailsView';

export const OPTIMIZE_KIND = 'refactor.rewrite.pyperf'; // server/lsp.py OPTIMIZE_KIND
export const OPTIMIZE_COMMAND_ID = 'pyperf.optimizeForSpeed'; // not `pyperf.optimize`: the server registers that

export async function optimizeForSpeed(
  client: LanguageClient | undefined,
  details: DetailsView,
  showLog: () => void,
  log: (message: string) => void,
): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'python') {
    void vscode.window.showInformationMessage('Optimize for speed: open a Python file and put the cursor in it.');
    return;
  }
  if (!client || !client.isRunning()) {
    const choice = await vscode.window.showWarningMessage('Optimize for speed: the Pyperf server is not running.', 'Show log');
    if (choice) {
      showLog();
    }
    return;
  }
  const server = client;
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Optimize for speed', cancellable: true },
    async (progress, token) => {
      try {
        const result = await optimizeAt(server, editor.document, editor.selection, progress, token, log);
        if (result) {
          // shown once the progress notification has closed, so the two never stack
          void showResult(result.title, result.details, () => details.show(editor.document.uri, result.details ?? ''));
        }
      } catch (err) {
        if (!token.isCancellationRequested) {
          throw err;
        }
        log('Optimize for speed: cancelled'); // the server has stopped the job
      }
    },
  );
}

async function optimizeAt(
  client: LanguageClient,
  document: vscode.TextDocument,
  selection: vscode.Range,
  progress: vscode.Progress<{ message?: string }>,
  token: vscode.CancellationToken,
  log: (message: string) => void,
): Promise<{ title: string; details?: string } | undefined> {
  progress.report({ message: 'generating and verifying candidates…' });
  const listed = await client.sendRequest(
    CodeActionRequest.type,
    {
      textDocument: client.code2ProtocolConverter.asTextDocumentIdentifier(document),
      range: client.code2ProtocolConverter.asRange(selection),
      context: { diagnostics: [], only: [OPTIMIZE_KIND], triggerKind: 1 /* Invoked */ },
    },
    token,
  );
  const action = (listed ?? []).find((a): a is CodeAction => 'kind' in a && a.kind === OPTIMIZE_KIND);
  if (!action) {
    log('Optimize for speed: the server offered no action here');
    return { title: 'Optimize for speed: nothing to optimise here.' };
  }
  if (action.disabled) {
    return { title: `Optimize for speed: ${action.disabled.reason}` };
  }
  // Clients without resolve support get the edit in the listing; VS Code resolves it.
  const resolved =
    action.edit || !action.data ? action : await client.sendRequest(CodeActionResolveRequest.type, action, token);
  log(`${resolved.title}${resolved.edit ? ' (applying its edit)' : ''}`);
  if (token.isCancellationRequested) {
    return undefined;
  }
  if (resolved.edit) {
    const edit = await client.protocol2CodeConverter.asWorkspaceEdit(resolved.edit);
    if (!(await vscode.workspace.applyEdit(edit))) {
      return { title: 'Optimize for speed: the file changed meanwhile; run it again.' };
    }
    return { title: resolved.title, details: actionDetails(resolved) }; // says the measured speedup
  }
  if (resolved.command) {
    await vscode.commands.executeCommand(resolved.command.command, ...(resolved.command.arguments ?? []));
    return undefined; // the server applies the edit and says what it measured
  }
  // Nothing verified faster: the server has already said why (window/showMessage); keep it in view.
  vscode.window.setStatusBarMessage(resolved.title, 15000);
  return undefined;
}

/** The result, with "Show details" when the server sent a report. */
async function showResult(title: string, details: string | undefined, openDetails: () => Promise<void>): Promise<void> {
  const choice = await vscode.window.showInformationMessage(title, ...(details ? ['Show details'] : []));
  if (choice === 'Show details') {
    await openDetails();
  }
}
