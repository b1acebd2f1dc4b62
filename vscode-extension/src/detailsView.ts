// "Show details": the server's markdown report of an optimisation, opened as a read-only markdown preview.
// The reports live in memory behind a `pyperf-details:` document provider: nothing is written to disk.

import * as vscode from 'vscode';
import { detailsName } from './details';

export const DETAILS_SCHEME = 'pyperf-details';

export class DetailsView implements vscode.Disposable, vscode.TextDocumentContentProvider {
  private readonly reports = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly registration: vscode.Disposable;
  readonly onDidChange = this.changed.event;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(DETAILS_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.reports.get(uri.toString()) ?? '';
  }

  /** Opens `markdown` as the report of `document`; a later report of the same file replaces the earlier one. */
  async show(document: vscode.Uri, markdown: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: DETAILS_SCHEME, path: `/${detailsName(document.fsPath || document.path)}` });
    this.reports.set(uri.toString(), markdown);
    this.changed.fire(uri);
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
