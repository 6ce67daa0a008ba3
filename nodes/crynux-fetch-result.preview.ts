/**
 * The editor preview of crynux-fetch-result: small thumbnails of the last images, published
 * to the editor over Node-RED's comms channel (`crynux-fetch-result/<node id>`, retained so
 * an editor opened later still sees them). The editor script in crynux-fetch-result.html
 * draws them under the node. Text results have no preview; a preview with no images clears it.
 * The nodes pass a renderer that works the thumbnails out on a worker thread
 * (crynux-fetch-result.preview-worker.ts); without one, `show` computes them at once, here.
 */
import { pngSize, thumbnail } from './crynux-fetch-result.thumbnail';

export const PREVIEW_TOPIC_PREFIX = 'crynux-fetch-result/';
export const DEFAULT_PREVIEW_SIZE = 128;
export const MIN_PREVIEW_SIZE = 32;
export const MAX_PREVIEW_SIZE = 512;
/** At most this many thumbnails per task; the editor says how many more there were. */
export const MAX_PREVIEW_IMAGES = 8;
/** An image the downscaler cannot read is sent unchanged only up to this size. */
export const MAX_RAW_PREVIEW_BYTES = 256 * 1024;

export interface PreviewImage {
  /** data:image/png;base64,… */
  src: string;
  /** Display size in the editor, at most `size` on the longer side. */
  width: number;
  height: number;
}

export interface PreviewData {
  taskId?: string;
  /** Images in the result (may exceed images.length). */
  count: number;
  images: PreviewImage[];
}

/** The part of Node-RED's runtime API the preview uses (`RED.comms`). */
export interface CommsAPI {
  publish(topic: string, data: unknown, retain?: boolean): void;
}

/** Works a preview out elsewhere (a worker thread); undefined when there is none to show. */
export type RenderPreview = (files: Buffer[], size: number, taskId?: string) => Promise<PreviewData | undefined>;

/** One thumbnail: downscaled when readable, the file itself when small, else none. */
export function previewImage(file: Buffer, size: number): PreviewImage | undefined {
  const thumb = thumbnail(file, size);
  if (thumb) return { src: dataUrl(thumb.png), width: thumb.width, height: thumb.height };
  const own = pngSize(file);
  if (!own || file.length > MAX_RAW_PREVIEW_BYTES || own.width === 0 || own.height === 0) return undefined;
  const scale = Math.min(1, size / Math.max(own.width, own.height));
  return { src: dataUrl(file), width: Math.max(1, Math.round(own.width * scale)), height: Math.max(1, Math.round(own.height * scale)) };
}

export function previewOf(files: Buffer[], size: number, taskId?: string): PreviewData {
  const images: PreviewImage[] = [];
  for (const file of files.slice(0, MAX_PREVIEW_IMAGES)) {
    const image = previewImage(file, size);
    if (image) images.push(image);
  }
  return { ...(taskId !== undefined ? { taskId } : {}), count: files.length, images };
}

export const EMPTY: PreviewData = Object.freeze({ count: 0, images: [] }) as PreviewData;

function dataUrl(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** The preview of one node: show the images of a result, clear on text or close. */
export class Preview {
  private shown = false;
  private readonly topic: string;
  /** Bumped by every show and clear: a preview that comes back later than either is stale. */
  private generation = 0;
  private rendering = false;
  /** The newest result waiting while one is rendered: results in between are never drawn. */
  private waiting?: { files: Buffer[]; taskId?: string; generation: number };

  constructor(
    private readonly comms: CommsAPI | undefined,
    nodeId: string,
    private readonly options: { enabled: boolean; size: number },
    private readonly render?: RenderPreview,
  ) {
    this.topic = PREVIEW_TOPIC_PREFIX + nodeId;
  }

  /** Returns at once when there is a renderer: the msg never waits for its thumbnails. */
  show(files: Buffer[], taskId?: string): void {
    if (!this.options.enabled || !this.comms) return;
    if (!this.render) {
      this.publish(() => previewOf(files, this.options.size, taskId));
      return;
    }
    this.waiting = { files, taskId, generation: ++this.generation };
    this.next();
  }

  /** Removes the thumbnails (and the retained copy) when there were any. */
  clear(): void {
    this.generation++;
    this.waiting = undefined;
    if (!this.shown || !this.comms) return;
    this.shown = false;
    try {
      // Not null: Node-RED's comms drop messages whose data is falsy. Not retained: that
      // also deletes the retained thumbnails.
      this.comms.publish(this.topic, EMPTY, false);
    } catch {
      // A preview never fails the message it shows.
    }
  }

  private next(): void {
    const job = this.waiting;
    if (this.rendering || !job) return;
    this.waiting = undefined;
    this.rendering = true;
    // new Promise: a renderer that throws at once is caught like one that rejects.
    new Promise<PreviewData | undefined>((resolve) => resolve(this.render!(job.files, this.options.size, job.taskId)))
      .catch(() => undefined)
      .then((data) => {
        this.rendering = false;
        if (data && job.generation === this.generation) this.publish(() => data);
        this.next();
      })
      .catch(() => undefined);
  }

  private publish(data: () => PreviewData): void {
    try {
      this.comms!.publish(this.topic, data(), true);
      this.shown = true;
    } catch {
      // A preview never fails the message it shows.
    }
  }
}
