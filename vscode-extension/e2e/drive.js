// Drives real VS Code (code-server in headless Chromium, via playwright-core) the way a user would:
// open a slow Python file, see the server's private environment being set up (progress notification), the
// server get ready and the diagnostic, hover it and read a suggestion, run
// "Optimize for speed" from the editor's context menu, check the editor now holds the faster code, save.
// Started by e2e/run (URL, WS, OUT, NODE_PATH set there). Screenshots: $OUT/*.png. Exit 0 only if all passed.
'use strict';
const fs = require('node:fs');
const { chromium } = require('playwright-core');

const URL = process.env.URL;
const WS = process.env.WS;
const OUT = process.env.OUT || '.';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FILE = 'slow.py';
// Workspace settings: VS Code watches the workspace's .vscode/settings.json for changes made outside the editor.
const WORKSPACE_SETTINGS = `${WS}/.vscode/settings.json`;

let page;
const t0 = Date.now();
const log = (...args) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...args);
const shot = async (name) => {
  await page.screenshot({ path: `${OUT}/${name}.png` });
  log(`screenshot ${name}.png`);
};
const flat = (text) => text.replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim();
const statusItem = () => page.locator('.statusbar-item', { hasText: 'Pyperf' }).first();
// The editor renders lines out of DOM order: sort them by their position.
const editorText = () =>
  page.evaluate(() =>
    [...document.querySelectorAll('.monaco-editor .view-lines .view-line')]
      .map((line) => [parseFloat(line.style.top) || 0, line.textContent.replace(/\u00a0/g, ' ')])
      .sort((a, b) => a[0] - b[0])
      .map(([, text]) => text)
      .join('\n'),
  );
const notificationsText = async () => {
  const toasts = flat(await page.locator('.notifications-toasts').innerText().catch(() => ''));
  if (toasts) {
    return toasts;
  }
  await page.locator('[id="status.notifications"]').click().catch(() => {}); // the notification centre
  await page.waitForTimeout(1000);
  return flat(await page.locator('.notifications-center').innerText().catch(() => ''));
};

async function waitForStatus(pattern, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = flat((await statusItem().innerText().catch(() => '')) || '');
    if (pattern.test(text)) {
      return text;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`status bar never matched ${pattern}; last: "${text}"`);
}

(async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
  await page.goto(`${URL}/?folder=${encodeURIComponent(WS)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 90000 });
  log('workbench loaded');

  // 1. open the file from the Explorer (Quick Open races with panels that steal focus)
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: FILE }).dblclick({ timeout: 60000 });
  await page.locator('.monaco-editor .view-lines', { hasText: 'range(n)' }).waitFor({ timeout: 30000 });
  log('opened', FILE);

  // 2. first use: the private environment is made with a visible progress notification (minutes the first time:
  // llama.cpp compiles; pip's cache makes later runs quick), then the server starts from it and gets ready
  const first = await waitForStatus(/Pyperf: (setting up|starting|ready)/, 60000);
  log('status:', first);
  if (first.includes('setting up')) {
    const progress = await notificationsText();
    log('notification:', progress);
    if (!/setting up the server/.test(progress)) {
      throw new Error(`no progress notification while the environment is made: "${progress}"`);
    }
    await shot('0-setting-up');
  }
  log('status:', await waitForStatus(/Pyperf: ready/, 1200000));

  // 3. a diagnostic from the rules
  await page.waitForSelector('.squiggly-info, .squiggly-warning, .squiggly-hint', { timeout: 60000 });
  const problems = flat(await page.locator('.statusbar-item', { hasText: /\d+/ }).first().innerText());
  log('diagnostic squiggle visible; problems item:', problems);
  await shot('1-diagnostics');

  // 4. hover the diagnostic: rule docs at once, the knowledge base's suggestions once its embedder has loaded
  let hover = '';
  const deadline = Date.now() + 240000;
  while (Date.now() < deadline) {
    // the squiggle on `x = int(input())` in the loop: per-line input() is what the optimizer fixes
    const line = await page.locator('.monaco-editor .view-line', { hasText: 'x = int(input())' }).first().boundingBox();
    let box;
    for (const squiggle of await page.locator('.squiggly-info, .squiggly-warning').all()) {
      const b = await squiggle.boundingBox();
      if (b && Math.abs(b.y + b.height / 2 - (line.y + line.height / 2)) < line.height / 2) {
        box = b;
      }
    }
    if (!box) {
      throw new Error('no diagnostic on the loop line');
    }
    await page.mouse.move(5, 5);
    await page.waitForTimeout(300);
    await page.mouse.move(box.x + Math.min(20, box.width / 2), box.y + box.height / 2);
    const widget = page.locator('.monaco-hover:visible').first();
    await widget.waitFor({ timeout: 15000 }).catch(() => {});
    await page.waitForTimeout(1000);
    hover = flat(await widget.innerText().catch(() => ''));
    if (hover.includes('Performance suggestions')) {
      break;
    }
    log('hover (waiting for suggestions):', hover.slice(0, 120));
    await page.waitForTimeout(4000);
  }
  if (!hover.includes('Performance suggestions')) {
    throw new Error(`no suggestion in the hover: "${hover}"`);
  }
  // rule explanations come first, the knowledge base's suggestions after them
  log('hover:', hover.slice(0, 200));
  const suggestionsAt = hover.indexOf('Performance suggestions');
  log('hover suggestions:', hover.slice(suggestionsAt, suggestionsAt + 300));
  await shot('2-hover');
  await page.mouse.move(5, 5);
  await page.keyboard.press('Escape');

  // 5. a settings change reaches the running server without a restart: diagnostics off, then on again
  const squiggles = () => page.locator('.squiggly-info, .squiggly-warning, .squiggly-hint').count();
  const setWorkspaceSetting = (key, value) => {
    fs.mkdirSync(`${WS}/.vscode`, { recursive: true });
    fs.writeFileSync(WORKSPACE_SETTINGS, JSON.stringify({ [key]: value }, null, 2));
  };
  const waitForSquiggles = async (wanted, what) => {
    const until = Date.now() + 30000;
    while (!wanted(await squiggles())) {
      if (Date.now() > until) {
        throw new Error(`diagnostics never ${what}`);
      }
      await page.waitForTimeout(250);
    }
  };
  const before = await squiggles();
  setWorkspaceSetting('pyperf.diagnostics.enabled', false);
  await waitForSquiggles((n) => n === 0, 'went away with pyperf.diagnostics.enabled = false');
  log(`pyperf.diagnostics.enabled = false: ${before} squiggles -> 0; status: ${flat(await statusItem().innerText())}`);
  setWorkspaceSetting('pyperf.diagnostics.enabled', true);
  await waitForSquiggles((n) => n > 0, 'came back with pyperf.diagnostics.enabled = true');
  const status = flat(await statusItem().innerText());
  log(`pyperf.diagnostics.enabled = true: ${await squiggles()} squiggles; status: ${status}`);
  if (!/Pyperf: ready/.test(status)) {
    throw new Error(`the settings change disturbed the server: ${status}`);
  }
  const serverStarts = async () => {
    await statusItem().click(); // the log: one "[client] starting:" line per server start
    await page.waitForTimeout(1000);
    const output = page.locator('.part.panel .monaco-editor .view-lines').first();
    await output.waitFor({ timeout: 10000 });
    return flat(await output.innerText()).split('[client] starting:').length - 1;
  };

  // 6. "Optimize for speed" from the editor's context menu, cursor in the slow loop
  const loopLine = page.locator('.monaco-editor .view-line', { hasText: 'for i in range(n)' }).first();
  await loopLine.click();
  await loopLine.click({ button: 'right' });
  const item = page.locator('.monaco-menu .action-item', { hasText: 'Optimize for speed' }).first();
  await item.waitFor({ timeout: 15000 });
  await shot('3-context-menu');
  await item.click();
  log('ran "Optimize for speed" from the context menu');

  // 7. while it runs, the status bar names the job
  const working = await waitForStatus(/Pyperf: working/, 30000).catch((e) => `(not seen: ${e.message})`);
  log('status:', working);
  if (working.includes('working')) {
    await shot('4-working');
  }

  // 8. the editor now holds the faster code, and VS Code says how much faster
  const editDeadline = Date.now() + 300000;
  let text = await editorText();
  while (!text.includes('sys.stdin.readline') && Date.now() < editDeadline) {
    await page.waitForTimeout(1000);
    text = await editorText();
  }
  if (!text.includes('sys.stdin.readline')) {
    throw new Error(`the editor did not get the faster code; notifications: "${await notificationsText()}"\n${text}`);
  }
  log('editor after "Optimize for speed":\n' + text);
  await page.waitForTimeout(1000);
  const message = await notificationsText();
  log('notification:', message);
  if (!/Optimize for speed: [\d.]+x faster/.test(message)) {
    throw new Error(`unexpected message: ${message}`);
  }
  // "Show details" (when the server gives details) opens the report as a markdown preview
  const details = page.locator('.notifications-toasts .monaco-button, .notifications-center .monaco-button', {
    hasText: 'Show details',
  });
  if (await details.count()) {
    await details.first().click();
    const report = page.locator('.editor-group-container .tab', { hasText: /Optimize for speed/ }).first();
    await report.waitFor({ timeout: 15000 });
    log('details opened:', flat(await report.innerText()));
    await shot('5b-details');
  } else {
    log('no "Show details" action: the server sent no details');
  }
  log('status:', await waitForStatus(/Pyperf: ready/, 30000));
  await shot('5-optimized');

  // 9. save (e2e/run checks the file on disk) and show the server log: one start, no restart
  await page.keyboard.press('Control+S');
  await page.waitForTimeout(1500);
  const starts = await serverStarts();
  await shot('6-server-log');
  log(`server starts in the log: ${starts}`);
  if (starts !== 1) {
    throw new Error(`expected one server start, the log shows ${starts}`);
  }

  log('PASS');
  await browser.close();
})().catch(async (err) => {
  console.error('E2E FAILED:', err);
  if (page) {
    await page.screenshot({ path: `${OUT}/failure.png` }).catch(() => {});
  }
  process.exit(1);
});
