/**
 * What went wrong with a failed fetch(), in words a user can act on. Node's fetch says only
 * "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, a certificate error) is in
 * `cause.code`. Shared by the RPC transport and the relay client.
 */

const MEANINGS: Record<string, string> = {
  ECONNREFUSED: 'connection refused: nothing listens on that host and port',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed for now',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_SOCKET: 'the connection was closed before an answer',
};

/** `timeoutMs` names the per-request timeout when the request was aborted by it. */
export function describeFetchError(err: unknown, timeoutMs?: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return timeoutMs === undefined ? 'no answer in time' : `no answer within ${seconds(timeoutMs)}`;
  }
  const cause = e?.cause;
  const code = cause?.code;
  if (code) {
    if (MEANINGS[code]) return `${code} (${MEANINGS[code]})`;
    if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return `${code} (TLS certificate problem)`;
    return code;
  }
  return cause?.message ?? e?.message ?? String(err);
}

/** A duration for messages: 1500 → "1.5 s", 100 → "0.1 s", 600000 → "600 s". */
export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${s < 10 ? Number(s.toPrecision(2)) : Math.round(s)} s`;
}
