/**
 * crynux-fetch-result's editor preview: the PNG downscaler (every colour type and bit depth,
 * box averaging, unreadable input) and, in the Node-RED runtime against a real devnet, what
 * the node publishes on RED.comms: thumbnails of image results, nothing for text, an empty preview on close.
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { PNG } from 'pngjs';
import sinon from 'sinon';
import type { Devnet } from '../../devnet';
import type { CrynuxClient } from '../../lib/client';
import { buildGptTaskArgs, buildSdTaskArgs, type BuiltTask } from '../../lib/task-args';
import { pngSize, thumbnail } from '../../nodes/crynux-fetch-result.thumbnail';
import {
  MAX_PREVIEW_IMAGES,
  MAX_RAW_PREVIEW_BYTES,
  PREVIEW_TOPIC_PREFIX,
  Preview,
  previewImage,
  previewOf,
  type PreviewData,
} from '../../nodes/crynux-fetch-result.preview';
import { helper, nodeModule, onTab, waitUntil, useDevnet } from './node-helpers';
import { clientOf, configCredentials, configNode, createdTask } from '../e2e/devnet-flow';

/** Deterministic pseudo-random bytes (so a failure reproduces). */
function noise(n: number, seed = 1): Buffer {
  const out = Buffer.alloc(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    out[i] = s >> 16;
  }
  return out;
}

function pngjsImage(width: number, height: number, rgba: Buffer, options: { colorType: 0 | 2 | 4 | 6; bitDepth?: 8 | 16 } = { colorType: 6 }): Buffer {
  const png = new PNG({ width, height });
  rgba.copy(png.data);
  return PNG.sync.write(png, { colorType: options.colorType, bitDepth: options.bitDepth ?? 8, inputHasAlpha: true });
}

function readRgba(png: Buffer): { width: number; height: number; data: Buffer } {
  const img = PNG.sync.read(png);
  return { width: img.width, height: img.height, data: img.data };
}

/** A PNG from raw (unfiltered) scanlines, filter type 0 ("None") on every row: for formats pngjs does not write. */
function rawPng(width: number, height: number, depth: number, colorType: number, rows: Buffer[], extra: Array<[string, Buffer]> = [], interlace = 0, filter = 0): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, data, Buffer.alloc(4)]); // CRCs are not checked by the reader
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([depth, colorType, 0, 0, interlace], 8);
  const raw = Buffer.concat(rows.map((r) => Buffer.concat([Buffer.from([filter]), r])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...extra.map(([t, d]) => chunk(t, d)),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function pixel(img: { width: number; data: Buffer }, x: number, y: number): number[] {
  const o = (y * img.width + x) * 4;
  return [...img.data.subarray(o, o + 4)];
}

describe('crynux-fetch-result preview: thumbnails', () => {
  it('reads pngjs output of every colour type exactly (adaptive row filters: Sub, Up, Average, Paeth)', () => {
    const [w, h] = [37, 23];
    const rgba = noise(w * h * 4, 7);
    for (const colorType of [0, 2, 4, 6] as const) {
      // What pngjs writes for this colour type is the reference: read it back with pngjs.
      const png = pngjsImage(w, h, rgba, { colorType });
      const expected = readRgba(png);
      const thumb = thumbnail(png, 1000);
      assert.ok(thumb, `colour type ${colorType} read`);
      assert.deepEqual([thumb.width, thumb.height], [w, h]);
      assert.ok(readRgba(thumb.png).data.equals(expected.data), `colour type ${colorType}: same pixels`);
    }
  });

  it('downscales by averaging boxes, colour weighted by alpha, keeping the aspect ratio', () => {
    // 4×2: left half opaque red, right half: one transparent red pixel over opaque blue ones.
    const px = (r: number, g: number, b: number, a: number) => [r, g, b, a];
    const rows = [
      [px(255, 0, 0, 255), px(255, 0, 0, 255), px(255, 0, 0, 0), px(0, 0, 255, 255)],
      [px(255, 0, 0, 255), px(255, 0, 0, 255), px(0, 0, 255, 255), px(0, 0, 255, 255)],
    ];
    const png = pngjsImage(4, 2, Buffer.from(rows.flat(2)));
    const thumb = thumbnail(png, 2);
    assert.ok(thumb);
    assert.deepEqual([thumb.width, thumb.height], [2, 1]);
    const img = readRgba(thumb.png);
    assert.deepEqual(pixel(img, 0, 0), [255, 0, 0, 255]);
    assert.deepEqual(pixel(img, 1, 0), [0, 0, 255, 191]); // the transparent red adds no colour
  });

  it('a 512×512 RGB image becomes a 128×128 thumbnail a browser can show; a wide one keeps its ratio', () => {
    const png = pngjsImage(512, 512, noise(512 * 512 * 4, 3), { colorType: 2 });
    const thumb = thumbnail(png, 128);
    assert.ok(thumb);
    assert.deepEqual(pngSize(thumb.png), { width: 128, height: 128 });
    assert.ok(thumb.png.length < png.length / 4, 'much smaller than the image');
    const wide = thumbnail(pngjsImage(300, 100, noise(300 * 100 * 4)), 60);
    assert.deepEqual([wide?.width, wide?.height], [60, 20]);
  });

  it('reads palettes (with tRNS), 1/2/4-bit gray and 16-bit samples', () => {
    const palette = Buffer.from([10, 20, 30, 200, 100, 50]);
    const pal = readRgba(thumbnail(rawPng(3, 1, 4, 3, [Buffer.from([0x01, 0x00])], [['PLTE', palette], ['tRNS', Buffer.from([128])]]), 10)!.png);
    assert.deepEqual([pixel(pal, 0, 0), pixel(pal, 1, 0), pixel(pal, 2, 0)], [[10, 20, 30, 128], [200, 100, 50, 255], [10, 20, 30, 128]]);

    const gray1 = readRgba(thumbnail(rawPng(9, 1, 1, 0, [Buffer.from([0b10100000, 0b10000000])]), 20)!.png);
    assert.deepEqual([0, 1, 2, 8].map((x) => pixel(gray1, x, 0)[0]), [255, 0, 255, 255]);
    const gray2 = readRgba(thumbnail(rawPng(4, 1, 2, 0, [Buffer.from([0b00011011])]), 20)!.png);
    assert.deepEqual([0, 1, 2, 3].map((x) => pixel(gray2, x, 0)[0]), [0, 85, 170, 255]);
    const gray4 = readRgba(thumbnail(rawPng(2, 1, 4, 0, [Buffer.from([0xf0])]), 20)!.png);
    assert.deepEqual([pixel(gray4, 0, 0)[0], pixel(gray4, 1, 0)[0]], [255, 0]);

    const rgba16 = readRgba(thumbnail(rawPng(1, 1, 16, 6, [Buffer.from([0x12, 0x34, 0xab, 0xcd, 0xff, 0x00, 0x80, 0x01])]), 20)!.png);
    assert.deepEqual(pixel(rgba16, 0, 0), [0x12, 0xab, 0xff, 0x80]);
  });

  it('returns undefined, never throws, for what it cannot read', () => {
    const good = rawPng(2, 2, 8, 2, [Buffer.alloc(6), Buffer.alloc(6)]);
    assert.ok(thumbnail(good, 10));
    assert.equal(thumbnail(Buffer.from('GIF89a'), 10), undefined);
    assert.equal(thumbnail(good.subarray(0, good.length - 20), 10), undefined, 'truncated');
    assert.equal(thumbnail(rawPng(2, 2, 8, 2, [Buffer.alloc(6), Buffer.alloc(6)], [], 1), 10), undefined, 'interlaced');
    assert.equal(thumbnail(rawPng(2, 1, 8, 3, [Buffer.alloc(2)]), 10), undefined, 'palette without PLTE');
    assert.equal(thumbnail(rawPng(100_000, 100_000, 8, 2, [Buffer.alloc(0)]), 10), undefined, 'too many pixels');
    assert.equal(thumbnail(rawPng(2, 1, 4, 2, [Buffer.alloc(3)]), 10), undefined, 'RGB of 4 bits is not a PNG format');
    assert.equal(thumbnail(rawPng(1, 1, 8, 0, [Buffer.from([1])], [], 0, 5), 10), undefined, 'row filter 5 does not exist');
  });

  it('previewImage: a thumbnail, else the file itself when small, else nothing', () => {
    const small = previewImage(pngjsImage(200, 100, noise(200 * 100 * 4)), 50);
    assert.deepEqual([small?.width, small?.height], [50, 25]);
    assert.match(small!.src, /^data:image\/png;base64,/);
    assert.deepEqual(pngSize(Buffer.from(small!.src.split(',')[1], 'base64')), { width: 50, height: 25 });

    const interlaced = rawPng(64, 32, 8, 2, [], [], 1);
    const raw = previewImage(interlaced, 16);
    assert.deepEqual([raw?.width, raw?.height], [16, 8]);
    assert.ok(Buffer.from(raw!.src.split(',')[1], 'base64').equals(interlaced), 'sent as is');

    const big = Buffer.concat([interlaced, Buffer.alloc(MAX_RAW_PREVIEW_BYTES)]);
    assert.equal(previewImage(big, 16), undefined);
    assert.equal(previewImage(Buffer.from('not a png'), 16), undefined);
  });

  it('previewOf: at most MAX_PREVIEW_IMAGES thumbnails, count is every image', () => {
    const png = pngjsImage(8, 8, noise(256));
    const data = previewOf(Array(MAX_PREVIEW_IMAGES + 2).fill(png), 4, '42');
    assert.equal(data.count, MAX_PREVIEW_IMAGES + 2);
    assert.equal(data.images.length, MAX_PREVIEW_IMAGES);
    assert.equal(data.taskId, '42');
    assert.deepEqual([data.images[0].width, data.images[0].height], [4, 4]);
  });

  it('Preview publishes retained on its topic, clears once with an empty preview, and is silent when off', () => {
    const publish = sinon.spy();
    const png = pngjsImage(8, 8, noise(256));
    const on = new Preview({ publish }, 'n1', { enabled: true, size: 8 });
    on.clear();
    assert.equal(publish.callCount, 0, 'nothing shown, nothing to clear');
    on.show([png], '5');
    assert.equal(publish.firstCall.args[0], `${PREVIEW_TOPIC_PREFIX}n1`);
    assert.equal(publish.firstCall.args[2], true);
    on.clear();
    on.clear();
    // An empty preview, not null: Node-RED's comms do not deliver falsy data.
    assert.deepEqual(publish.secondCall.args, [`${PREVIEW_TOPIC_PREFIX}n1`, { count: 0, images: [] }, false]);
    assert.equal(publish.callCount, 2);

    const off = new Preview({ publish }, 'n2', { enabled: false, size: 8 });
    off.show([png]);
    off.clear();
    assert.equal(publish.callCount, 2);
    new Preview(undefined, 'n3', { enabled: true, size: 8 }).show([png]); // no comms: nothing, no throw
    const throwing = new Preview({ publish: () => { throw new Error('socket gone'); } }, 'n4', { enabled: true, size: 8 });
    assert.doesNotThrow(() => throwing.show([png]));
  });
});

describe('crynux-fetch-result preview in the runtime (devnet)', function () {
  this.timeout(60_000);
  let devnet: Devnet;
  let publish: sinon.SinonSpy | undefined;
  const fetchResult = nodeModule('crynux-fetch-result');
  // The node module is called with the runtime's RED: spy on its comms there.
  const spied = (RED: any) => {
    publish = sinon.spy(RED.comms, 'publish');
    fetchResult(RED);
  };

  useDevnet({ workers: 3 }, (d) => (devnet = d));
  afterEach(async () => {
    await helper.unload();
    sinon.restore();
    publish = undefined;
  });

  async function load(settings: Record<string, unknown> = {}) {
    const flow = onTab([
      configNode(devnet),
      { id: 'f', type: 'crynux-fetch-result', name: '', version: 1, crynux: 'cfg', timeout: '30', output: 'parts', parallel: '4', maxSize: '32', wires: [['out']], ...settings },
      { id: 'out', type: 'helper' },
    ]);
    await helper.load([nodeModule('crynux-config'), spied], flow, configCredentials(devnet.appPrivateKey));
    const out: any[] = [];
    helper.getNode('out').on('input', (m: any) => out.push(m));
    return { node: helper.getNode('f'), out };
  }

  async function succeeded(client: CrynuxClient, built: BuiltTask): Promise<Record<string, unknown>> {
    const crynux = await createdTask(client, built);
    const outcome = await client.waitForOutcome(crynux.taskId as string, { fromBlock: crynux.blockNumber as number, timeoutMs: 30_000 });
    assert.equal(outcome.status, 'success');
    return { ...crynux, status: 'success', result: (outcome as { result: string }).result };
  }

  const previewCalls = () => publish!.getCalls().filter((c) => String(c.args[0]).startsWith(PREVIEW_TOPIC_PREFIX));

  it('images: thumbnails of every image on crynux-fetch-result/<id>, retained; cleared on redeploy', async () => {
    const { node, out } = await load({ previewSize: '40' });
    const crynux = await succeeded(await clientOf(), buildSdTaskArgs({ prompt: 'two herons', numImages: 2, width: 128, height: 64 }));
    node.receive({ crynux });
    await waitUntil(() => out.length === 2, 30_000, 'two images');
    // The preview follows the msg (it is made on a worker thread, off the msg's path).
    const calls = await waitUntil(() => previewCalls().length > 0 && previewCalls(), 30_000, 'the preview');
    assert.equal(calls.length, 1);
    const [topic, data, retain] = calls[0].args as [string, PreviewData, boolean];
    assert.equal(topic, 'crynux-fetch-result/f');
    assert.equal(retain, true);
    assert.equal(data.count, 2);
    assert.equal(data.taskId, crynux.taskId);
    assert.equal(data.images.length, 2);
    for (const image of data.images) {
      assert.deepEqual([image.width, image.height], [40, 20]);
      const thumb = PNG.sync.read(Buffer.from(image.src.replace('data:image/png;base64,', ''), 'base64'));
      assert.deepEqual([thumb.width, thumb.height], [40, 20]);
    }
    await helper.unload();
    assert.deepEqual(previewCalls().at(-1)?.args, ['crynux-fetch-result/f', { count: 0, images: [] }, false]);
  });

  it('preview off: nothing is published; text (GPT) results publish no images', async () => {
    const off = await load({ preview: false });
    const client = await clientOf();
    off.node.receive({ crynux: await succeeded(client, buildSdTaskArgs({ prompt: 'a hidden owl', numImages: 1, width: 64, height: 64 })) });
    await waitUntil(() => off.out.length === 1, 30_000, 'image');
    assert.equal(previewCalls().length, 0);
    await helper.unload();
    sinon.restore();

    const on = await load();
    on.node.receive({ crynux: await succeeded(await clientOf(), buildGptTaskArgs({ model: 'm/m', prompt: 'Say hello' })) });
    await waitUntil(() => on.out.length === 1, 30_000, 'reply');
    assert.equal(typeof on.out[0].payload, 'string');
    // Previews are published in order: once an image result's preview is out, the text result's would be too.
    on.node.receive({ crynux: await succeeded(await clientOf(), buildSdTaskArgs({ prompt: 'a seen owl', numImages: 1, width: 64, height: 64 })) });
    const calls = await waitUntil(() => previewCalls().length > 0 && previewCalls(), 30_000, 'the image preview');
    assert.deepEqual(calls.map((c) => (c.args[1] as PreviewData).count), [1], 'one preview: the image\'s, none for the text');
  });

  it('a bad preview size is a configuration error naming the setting', async () => {
    await load({ previewSize: '5000' });
    // The constructor reports it with node.error; Node-RED logs it at level 20 (error).
    const logged = helper.log().args.map((a: any[]) => a[0]).filter((e: any) => e?.id === 'f' && e.level === 20);
    assert.ok(logged.some((e: any) => /Setting "preview size" must be a whole number from 32 to 512/.test(String(e.msg))), JSON.stringify(logged));
  });
});
