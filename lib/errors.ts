/**
 * Named errors with messages meant for the people who wire flows, not for protocol experts.
 * Nodes map them uniformly onto a red status and done(err). Every class keeps a short `code`
 * so flows (Catch node + switch) can branch without parsing text.
 */
export class CrynuxError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad task arguments or a bad msg/setting value. `path` names the field. */
export class TaskArgsError extends CrynuxError {
  readonly issues: ValidationIssue[];
  constructor(message: string, issues: ValidationIssue[] = []) {
    super('TASK_ARGS', message);
    this.issues = issues;
  }
}

export interface ValidationIssue {
  /** JSON-pointer-like path such as `task_config.num_images`, or `(root)`. */
  path: string;
  /** What was expected, in plain words (ending with ` (hint)` when there is one). */
  message: string;
  /** The advice at the end of `message`, so summaries can show a hint shared by several fields once. */
  hint?: string;
}

/** Wrong configuration: bad key, bad URL, chain id mismatch. */
export class ConfigError extends CrynuxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG', message, options);
  }
}

/** A transaction or call reverted; `reason` is the decoded Error(string)/Panic text. */
export class ChainRevertError extends CrynuxError {
  readonly reason: string;
  readonly txHash?: string;
  constructor(reason: string, message?: string, txHash?: string) {
    super('CHAIN_REVERT', message ?? `The Task contract rejected the transaction: ${reason}`);
    this.reason = reason;
    this.txHash = txHash;
  }
}

/** No RPC endpoint could be reached (refused, reset, DNS, timeout, not a JSON-RPC answer). */
export class ChainConnectionError extends CrynuxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CHAIN_CONNECTION', message, options);
  }
}

/**
 * The RPC node was reached and answered with a JSON-RPC error (it refused the call), as
 * opposed to ChainConnectionError. `rpcCode`/`rpcMessage` are the node's own.
 */
export class ChainRpcError extends CrynuxError {
  readonly rpcCode: number | undefined;
  readonly rpcMessage: string;
  constructor(message: string, rpc: { rpcCode?: number; rpcMessage: string; cause?: unknown }) {
    super('CHAIN_RPC', message, rpc.cause === undefined ? undefined : { cause: rpc.cause });
    this.rpcCode = rpc.rpcCode;
    this.rpcMessage = rpc.rpcMessage;
  }
}

/** Not enough coin for fee + gas. */
export class InsufficientFundsError extends CrynuxError {
  constructor(message: string) {
    super('INSUFFICIENT_FUNDS', message);
  }
}

/** The relay refused a request for good (see SPEC §4.6 "fatal"). */
export class RelayRejectedError extends CrynuxError {
  readonly status: number;
  readonly relayMessage: string;
  readonly field?: string;
  constructor(status: number, relayMessage: string, field?: string, hint?: string) {
    // `field` is the relay's field_name (SPEC §4.1), e.g. "task_args: required".
    super('RELAY_REJECTED', `The relay refused the request: ${field ? `${field}: ` : ''}${relayMessage}${hint ? ` (${hint})` : ''}`);
    this.status = status;
    this.relayMessage = relayMessage;
    this.field = field;
  }
}

/** Something did not happen within the configured time. */
export class TimeoutError extends CrynuxError {
  constructor(message: string) {
    super('TIMEOUT', message);
  }
}

/** A downloaded result failed its integrity check (size, PNG signature, sha256). */
export class ResultIntegrityError extends CrynuxError {
  constructor(message: string) {
    super('RESULT_INTEGRITY', message);
  }
}

/** The operation was cancelled (node closed, redeploy). */
export class AbortedError extends CrynuxError {
  constructor(message = 'The operation was cancelled') {
    super('CANCELLED', message);
  }
}
