/**
 * The Node-RED editor in a real browser (Debian's Chromium driven by playwright-core),
 * served by the demo runtime of `npm start`: every crynux type in the palette, every edit
 * dialog opens and closes without page errors, invalid values are flagged, a deploy goes
 * through, the GPT example answers in the debug sidebar and the image example's preview
 * renders under fetch-result. Saves a screenshot to test-artifacts/ (and docs/images/).
 *
 * Skips (with a message) where /usr/bin/chromium is absent; CI installs it with apt-get and
 * sets CRYNUX_REQUIRE_BROWSER=1, which turns the skip into a failure.
 * The runtime loads the pack from the repository's own dist/ (npm test builds it).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { DEMO_CONFIG_ID } from '../../demo/flows';
import { REPO_ROOT, startDemo, type Demo } from '../../demo/index';

// Browser globals inside page.evaluate callbacks (the project compiles without the DOM lib).
declare const window: any;
declare const document: any;
declare const Image: any;

const CHROMIUM = process.env.CRYNUX_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const README_IMAGE = path.join(REPO_ROOT, 'docs', 'images', 'demo-flow.png');

// Node ids of the example flows (examples/*.json).
const IMAGE_INJECT = '1a9e000000000002';
const IMAGE_FETCH = '1a9e000000000007';
const GPT_INJECT = '9e7c000000000002';
const CREATE_TASK = '1a9e000000000004';

const TYPES = Object.keys((JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes);

/** Why the suite cannot run here, or undefined. */
function missing(): string | undefined {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} not found (Debian: apt-get install chromium; or set CRYNUX_CHROMIUM)`;
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'nodes', 'crynux-fetch-result.js'))) return 'the pack is not built in dist/ (npm run build)';
  return undefined;
}

describe('the editor in Chromium (demo runtime)', function () {
  this.timeout(120_000);
  let demo: Demo | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  const tmp: string[] = [];
  const pageErrors: string[] = [];

  before(async function () {
    const why = missing();
    // CI sets CRYNUX_REQUIRE_BROWSER=1 so a failed Chromium install cannot pass as a skip.
    if (why && process.env.CRYNUX_REQUIRE_BROWSER === '1') throw new Error(`browser tests required but ${why}`);
    if (why) {
      console.log(`      browser tests skipped: ${why}`);
      this.skip();
    }
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-browser-red-'));
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-browser-profile-'));
    tmp.push(userDir, profile);
    // CRYNUX_DEMO_EXAMPLES: render other example flows (e.g. to try a layout for the README picture).
    demo = await startDemo({ userDir, examplesDir: process.env.CRYNUX_DEMO_EXAMPLES || undefined });
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1500, height: 760 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
    });
    await page.goto(demo.editorUrl);
    // The editor is ready when the deployed flows are in RED.nodes.
    await page.waitForFunction((id) => !!window.RED?.nodes?.node?.(id), IMAGE_FETCH, { timeout: 60_000 });
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await demo?.stop();
    for (const dir of tmp) fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !page) return;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `failed-${this.currentTest.title.replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
    // What the screenshot cannot say, printed where CI logs show it.
    const state = await page
      .evaluate(() => ({
        trays: document.querySelectorAll('.red-ui-tray').length,
        flagged: Array.from(document.querySelectorAll('.input-error')).map((el: any) => `#${el.id}=${JSON.stringify(el.value)}`),
      }))
      .catch((err: Error) => ({ unreadable: err.message }));
    console.log(`      page state after the failure: ${JSON.stringify(state)}; page errors: ${JSON.stringify(pageErrors)}`);
    // Leave no dialog open for the next test.
    await page
      .evaluate(() => {
        for (let i = 0; i < 3; i++) for (const id of ['#node-config-dialog-cancel', '#node-dialog-cancel']) document.querySelector(id)?.click();
      })
      .catch(() => undefined);
  });

  const noPageErrors = (when: string) => assert.deepEqual(pageErrors, [], `page errors ${when}`);

  /** Shows the tab of a node and double-clicks it, as a user opens its dialog. */
  async function openDialog(id: string): Promise<void> {
    await page.evaluate((nodeId) => {
      const RED = window.RED;
      RED.workspaces.show(RED.nodes.node(nodeId).z);
    }, id);
    await page.dblclick(`#red-ui-workspace-chart g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`);
    await page.waitForSelector('#node-dialog-ok', { state: 'visible' });
  }

  async function closeDialog(button: 'ok' | 'cancel', config = false): Promise<void> {
    const prefix = config ? '#node-config-dialog-' : '#node-dialog-';
    await page.click(prefix + button);
    await page.waitForSelector(prefix + button, { state: 'detached' });
  }

  /**
   * Replaces a field's text as a user does: types it (keyup), then leaves the field (change).
   * Node-RED validates on either; sending both keeps the check from hanging on one lost event
   * on a loaded machine. A locator is strict, so a stale second copy of a field (a tray that
   * did not close) fails here with a clear message instead of as a wait that times out.
   */
  async function typeInto(selector: string, text: string): Promise<void> {
    const field = page.locator(selector);
    await field.fill(text);
    await field.press('End');
    await field.dispatchEvent('change');
    assert.equal(await field.inputValue(), text, `${selector} holds what was typed`);
  }

  /** The English validation message of a field, from the node's catalog. */
  function message(type: string, key: string): string {
    const catalog = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'nodes', 'locales', 'en-US', `${type}.json`), 'utf8'));
    return catalog[type].validation[key];
  }

  /** Hovering a flagged field shows its message, translated (not the catalog key). */
  async function expectTooltip(selector: string, text: string): Promise<void> {
    await page.hover(selector);
    const tip = await page.waitForSelector('.red-ui-popover', { state: 'visible' });
    assert.equal((await tip.textContent())?.trim(), text);
    await page.mouse.move(0, 0);
    await page.waitForSelector('.red-ui-popover', { state: 'detached' });
  }

  async function openConfigDialog(): Promise<void> {
    await page.evaluate((id) => window.RED.editor.editConfig('', 'crynux-config', id), DEMO_CONFIG_ID);
    await page.waitForSelector('#node-config-dialog-ok', { state: 'visible' });
  }

  it('has every crynux node type: six in the crynux palette category, the config node under config', async () => {
    const found = await page.evaluate((types) => {
      const RED = window.RED;
      return types.map((t: string) => ({
        type: t,
        category: RED.nodes.getType(t)?.category,
        inPalette: !!document.querySelector(`#red-ui-palette .red-ui-palette-node[data-palette-type="${t}"]`),
      }));
    }, TYPES);
    assert.equal(found.length, 7);
    for (const t of found) {
      if (t.type === 'crynux-config') assert.deepEqual(t, { type: t.type, category: 'config', inPalette: false });
      else assert.deepEqual(t, { type: t.type, category: 'crynux', inPalette: true });
    }
    await page.waitForSelector('#red-ui-palette .red-ui-palette-node[data-palette-type="crynux-fetch-result"]', { state: 'visible' });
    noPageErrors('on load');
  });

  it('opens and closes the edit dialog of every crynux node with no page errors', async () => {
    const ids: Record<string, string> = await page.evaluate((types) => {
      const RED = window.RED;
      const out: Record<string, string> = {};
      RED.nodes.eachNode((n: { type: string; id: string }) => {
        if (types.includes(n.type) && !out[n.type]) out[n.type] = n.id;
      });
      return out;
    }, TYPES);
    assert.deepEqual(Object.keys(ids).sort(), TYPES.filter((t) => t !== 'crynux-config').sort(), 'the examples use every flow node type');
    for (const [type, id] of Object.entries(ids)) {
      await openDialog(id);
      // The dialog's own template was rendered, with its translated labels.
      const label = await page.textContent('.red-ui-tray label[for="node-input-name"]');
      assert.ok(label && label.trim().length > 0 && !label.includes('.label.'), `${type}: name label translated (${label})`);
      await closeDialog('cancel');
      noPageErrors(`with the ${type} dialog`);
    }
    await openConfigDialog();
    await page.waitForSelector('#node-config-input-privateKey', { state: 'visible' });
    await closeDialog('cancel', true);
    noPageErrors('with the crynux-config dialog');
  });

  it('flags an invalid private key, RPC URL and fee in the dialog (and clears the flag for valid ones)', async () => {
    await openConfigDialog();
    const flagged = (sel: string) => page.$eval(sel, (el) => el.classList.contains('input-error'));
    for (const [sel, bad, good] of [
      ['#node-config-input-privateKey', 'not-a-key', 'ab'.repeat(32)],
      ['#node-config-input-rpcUrls', 'ftp://127.0.0.1:8545', 'http://127.0.0.1:8545'],
    ]) {
      await typeInto(sel, bad);
      await page.waitForSelector(`${sel}.input-error`);
      await typeInto(sel, good);
      await page.waitForSelector(`${sel}:not(.input-error)`);
      assert.equal(await flagged(sel), false);
    }
    await typeInto('#node-config-input-privateKey', 'not-a-key');
    await page.waitForSelector('#node-config-input-privateKey.input-error');
    await expectTooltip('#node-config-input-privateKey', message('crynux-config', 'privateKey'));
    await closeDialog('cancel', true);

    await openDialog(CREATE_TASK);
    await typeInto('#node-input-fee', '-1');
    await page.waitForSelector('#node-input-fee.input-error');
    await typeInto('#node-input-fee', '0.1');
    await page.waitForSelector('#node-input-fee:not(.input-error)');
    await typeInto('#node-input-fee', '-0.5');
    await page.waitForSelector('#node-input-fee.input-error');
    await expectTooltip('#node-input-fee', message('crynux-create-task', 'fee'));
    await closeDialog('cancel');
    noPageErrors('while validating');
  });

  it('deploys a change made in the fetch-result dialog (preview size 120 px)', async () => {
    await openDialog(IMAGE_FETCH);
    assert.equal(await page.isChecked('#node-input-preview'), true, 'preview on');
    await typeInto('#node-input-previewSize', '9999');
    await page.waitForSelector('#node-input-previewSize.input-error');
    await typeInto('#node-input-previewSize', '120');
    await page.waitForSelector('#node-input-previewSize:not(.input-error)');
    await closeDialog('ok');
    await page.click('#red-ui-header-button-deploy:not(.disabled)');
    await page.waitForSelector('.red-ui-notification-success', { state: 'visible' });
    const res = await fetch(`${demo!.editorUrl}flows`, { headers: { 'Node-RED-API-Version': 'v2' } });
    const { flows } = (await res.json()) as { flows: Array<{ id: string; previewSize?: string }> };
    assert.equal(flows.find((n) => n.id === IMAGE_FETCH)?.previewSize, '120');
    noPageErrors('on deploy');
  });

  it('GPT example: pressing inject puts the reply in the debug sidebar', async () => {
    await page.evaluate(() => window.RED.sidebar.show('debug'));
    await page.evaluate((id) => window.RED.workspaces.show(window.RED.nodes.node(id).z), GPT_INJECT);
    await page.click(`g.red-ui-flow-node-group[id="${GPT_INJECT}"] rect.red-ui-flow-node-button-button`);
    const reply = await page.waitForSelector('.red-ui-debug-msg:has-text("You said")', { timeout: 60_000 });
    assert.match((await reply.textContent()) ?? '', /What is the capital/);
  });

  it('image example: pressing inject draws the two images as a preview under fetch-result', async () => {
    await page.evaluate((id) => window.RED.workspaces.show(window.RED.nodes.node(id).z), IMAGE_INJECT);
    await page.click(`g.red-ui-flow-node-group[id="${IMAGE_INJECT}"] rect.red-ui-flow-node-button-button`);
    const images = `g.red-ui-flow-node-group[id="${IMAGE_FETCH}"] g.crynux-fetch-result-preview image`;
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, images, { timeout: 60_000 });
    // The browser decodes each thumbnail: 512×512 images at the deployed 120 px.
    const sizes = await page.$$eval(images, async (els) =>
      Promise.all(
        els.map(async (el) => {
          const img = new Image();
          img.src = el.getAttribute('href') ?? '';
          await img.decode();
          const box = (el as any).getBBox();
          return [img.naturalWidth, img.naturalHeight, box.width, box.height];
        }),
      ),
    );
    assert.deepEqual(sizes, [[120, 120, 120, 120], [120, 120, 120, 120]]);
    await page.waitForSelector('.red-ui-debug-msg:has-text("crynux-")', { timeout: 30_000 });

    // The preview survives the view re-creating the node (switching tabs and back).
    await page.evaluate((id) => window.RED.workspaces.show(window.RED.nodes.node(id).z), GPT_INJECT);
    await page.evaluate((id) => window.RED.workspaces.show(window.RED.nodes.node(id).z), IMAGE_INJECT);
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, images);

    // A clean picture: nothing selected, notifications hidden (Node-RED removes them itself later).
    await page.evaluate(() => window.RED.view.select(''));
    await page.addStyleTag({ content: '.red-ui-notification { display: none !important; }' });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const shot = await page.screenshot({ path: path.join(ARTIFACTS, 'demo-flow.png') });
    // The README's picture: written when missing or asked for (UPDATE_SCREENSHOTS=1), so a test
    // run does not dirty the work tree with a picture that differs only in its random images.
    if (!fs.existsSync(README_IMAGE) || process.env.UPDATE_SCREENSHOTS === '1') {
      fs.mkdirSync(path.dirname(README_IMAGE), { recursive: true });
      fs.writeFileSync(README_IMAGE, shot);
    }
    noPageErrors('after the image example');
  });

  it('an editor opened later shows the last preview (the runtime retains it)', async () => {
    pageErrors.length = 0;
    await page.reload();
    await page.waitForFunction((id) => !!window.RED?.nodes?.node?.(id), IMAGE_FETCH);
    await page.evaluate((id) => window.RED.workspaces.show(window.RED.nodes.node(id).z), IMAGE_FETCH);
    const images = `g.red-ui-flow-node-group[id="${IMAGE_FETCH}"] g.crynux-fetch-result-preview image`;
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, images);
    noPageErrors('after reloading the editor');
  });

  it('a redeploy clears the preview', async () => {
    const images = `g.red-ui-flow-node-group[id="${IMAGE_FETCH}"] g.crynux-fetch-result-preview`;
    assert.equal(await page.locator(images).count(), 1);
    const res = await fetch(`${demo!.editorUrl}flows`, { method: 'POST', headers: { 'Node-RED-Deployment-Type': 'reload' } });
    assert.equal(res.status, 204);
    await page.waitForSelector(images, { state: 'detached' });
    noPageErrors('after the redeploy');
  });
});
