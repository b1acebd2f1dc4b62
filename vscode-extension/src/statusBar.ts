// The status bar item: the server's state (starting / ready / working: <job> / ...), a click shows the log.

import * as vscode from 'vscode';
import { ServerState, statusView } from './status';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private interpreter: string | undefined;
  private current: ServerState = { kind: 'starting' };

  constructor() {
    this.item = vscode.window.createStatusBarItem('pyperf.status', vscode.StatusBarAlignment.Left, 0);
    this.item.name = 'Pyperf Assistant';
    this.set({ kind: 'starting' });
    this.item.show();
  }

  get state(): ServerState {
    return this.current;
  }

  setInterpreter(interpreter: string | undefined): void {
    this.interpreter = interpreter;
    this.set(this.current);
  }

  set(state: ServerState): void {
    this.current = state;
    const view = statusView(state, this.interpreter);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = view.command;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
