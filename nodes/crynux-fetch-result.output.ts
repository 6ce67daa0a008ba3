/**
 * crynux-fetch-result: shaping downloaded files into messages. GPT: the node's JSON reply
 * (SPEC §6.5), already checked against its sha256 by the lib, parsed here for the text.
 * SD in "one message per image" mode: msg.parts as Node-RED's split node writes them, so a
 * join node in automatic mode rebuilds the array.
 */
import { ResultIntegrityError } from '../lib/errors';
import type { NodeMessage } from './shared';

export interface GptReply {
  /** choices[0].message.content: the reply text. */
  text: string;
  /** The whole parsed file ({model, choices, usage}). */
  response: unknown;
}

export function gptReply(file: Buffer | undefined): GptReply {
  let response: unknown;
  try {
    response = JSON.parse((file ?? Buffer.alloc(0)).toString('utf8'));
  } catch {
    throw new ResultIntegrityError('The GPT result is not JSON (expected {"model", "choices", "usage"}, SPEC §6.5)');
  }
  const content = (response as { choices?: Array<{ message?: { content?: unknown } }> } | null)?.choices?.[0]?.message?.content;
  if (typeof content !== 'string') {
    throw new ResultIntegrityError('The GPT result has no reply text (choices[0].message.content is missing)');
  }
  return { text: content, response };
}

/** One msg per image; each a clone, with msg.parts pushed onto any existing parts. */
export function splitImages(
  msg: NodeMessage,
  files: Buffer[],
  clone: (m: NodeMessage) => NodeMessage,
  generateId: () => string,
): NodeMessage[] {
  const id = generateId();
  const outer = msg.parts;
  const base: NodeMessage = { ...msg, payload: undefined };
  delete base._msgid;
  return files.map((file, index) => {
    const part = clone(base);
    part.payload = file;
    part.parts = { ...(outer !== undefined ? { parts: outer } : {}), id, type: 'array', index, count: files.length, len: 1 };
    return part;
  });
}
