/**
 * The node side of the relay API (SPEC §4.2 B and C), signed with the node's key (SPEC §5).
 */
import { relayMessageOf, signRelayFields } from '../../lib/protocol';

export interface RelayAnswer {
  ok: boolean;
  status: number;
  /** The relay's message (validation message for 400s). */
  message: string;
  data?: unknown;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function answerOf(res: Response): Promise<RelayAnswer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain text (404 page not found)
  }
  const { message } = relayMessageOf(body);
  const data = body && typeof body === 'object' ? (body as { data?: unknown }).data : undefined;
  return { ok: res.status === 200, status: res.status, message, data };
}

/** B: GET /v1/inference_tasks/{id}, signed `{"task_id":N}`. */
export async function relayGetTask(relayUrl: string, key: string, taskId: bigint): Promise<RelayAnswer> {
  const { timestamp, signature } = signRelayFields(key, { task_id: taskId }, nowSeconds());
  const res = await fetch(`${relayUrl}/v1/inference_tasks/${taskId}?timestamp=${timestamp}&signature=${signature}`);
  return answerOf(res);
}

/** C: POST /v1/inference_tasks/{id}/results, multipart with the files in repeated field `images`, in order. */
export async function relayUploadResults(
  relayUrl: string,
  key: string,
  taskId: bigint,
  files: readonly Buffer[],
  ext: 'png' | 'json',
): Promise<RelayAnswer> {
  const { timestamp, signature } = signRelayFields(key, { task_id: taskId }, nowSeconds());
  const form = new FormData();
  form.append('timestamp', String(timestamp));
  form.append('signature', signature);
  files.forEach((f, i) => form.append('images', new Blob([f]), `${i}.${ext}`));
  const res = await fetch(`${relayUrl}/v1/inference_tasks/${taskId}/results`, { method: 'POST', body: form });
  return answerOf(res);
}
