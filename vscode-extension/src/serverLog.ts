// Pure: the server's stderr (its whole log, server/__main__.py's format) as leveled lines for a LogOutputChannel.
//
// vscode-languageclient would write every stderr chunk at level "error", and also echo the server's
// window/logMessage copies of the same records: the channel then shows each line twice, INFO lines as errors.
// The client instead parses stderr here and drops window/logMessage (client.ts).
// No `vscode` import here: node's test runner loads this module directly.

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  level: Level;
  text: string;
}

// "pyperf server 2026-11-26 09:25:49,117 INFO server: model host ready" -> INFO, "server: model host ready"
const RECORD = /^pyperf server \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) (.*)$/;
const LEVELS: Record<string, Level> = { DEBUG: 'debug', INFO: 'info', WARNING: 'warn', ERROR: 'error', CRITICAL: 'error' };

export class ServerLogParser {
  private pending = '';
  // Lines that are not records (a traceback, a worker's print) keep the level of the record before them.
  private level: Level = 'info';

  /** The complete lines in `chunk` (with what was left over from the last chunk); keeps a partial last line. */
  feed(chunk: string): LogLine[] {
    const lines = (this.pending + chunk).split(/\r?\n/);
    this.pending = lines.pop() ?? '';
    return lines.filter((line) => line.trim() !== '').map((line) => this.parse(line));
  }

  /** What is left when the stream ends. */
  flush(): LogLine[] {
    const rest = this.pending;
    this.pending = '';
    return rest.trim() === '' ? [] : [this.parse(rest)];
  }

  private parse(line: string): LogLine {
    const match = RECORD.exec(line);
    if (!match) {
      return { level: this.level, text: line };
    }
    this.level = LEVELS[match[1]];
    return { level: this.level, text: match[2] };
  }
}
