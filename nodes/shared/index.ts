/**
 * Shared infrastructure for the Crynux nodes. A step node reads like this:
 *
 *   import { handleInput, Status, getConfigNode, migrateConfig, requireField, setCrynux,
 *            type NodeAPI, type Node, type NodeDef } from './shared';
 *
 *   export = function (RED: NodeAPI) {
 *     function CrynuxThing(this: Node, def: NodeDef) {
 *       RED.nodes.createNode(this, def);
 *       const config = migrateConfig('crynux-thing', def);      // settings, `version` upgraded
 *       const status = new Status(this, RED._);                  // the ONLY caller of node.status
 *       handleInput(this, status, async ({ msg, job, signal }) => {
 *         const network = getConfigNode(RED, config.crynux);     // ConfigError if none selected
 *         const taskId = requireField<string>(msg, 'taskId', 'crynux-create-task');
 *         job.working('crynux-thing.status.doing');              // blue dot; key in this node's catalog
 *         const client = await network.getClient();
 *         const r = await client.something(taskId, { signal, onRetry: (i) => job.waiting('crynux-thing.status.retrying', i) });
 *         job.succeed('crynux-thing.status.done', { taskId });   // green dot (optional; default "done")
 *         return setCrynux(msg, { uploadedAt: r.uploadedAt });   // sent on output 1 (or return [a, b])
 *       });
 *     }
 *     RED.nodes.registerType('crynux-thing', CrynuxThing);
 *   };
 *
 * Thrown errors become a red ring with a short reason (label from `shared.errors.<CODE>` in
 * the config node's catalog + the lib error's detail) and `done(err)`, so Catch nodes
 * fire; `done` is called exactly once per msg. On close every in-flight msg's `signal` is
 * aborted (pass it to every lib call) and awaited before Node-RED's close `done`.
 * Status keys: node-specific keys live in the node's own catalog
 * (`nodes/locales/en-US/<type>.json`, nested under the type as Node-RED's core nodes do:
 * `crynux-thing.status.doing`); shared ones via `sharedKey('status.done')`.
 * A constructor can call `showConfigProblem(RED, config.crynux, status)` for a red ring at deploy.
 * `msg.crynux` reads go through requireField/optionalField (checked, errors name the field);
 * dialog text through parseCnx/parseWhole/parseSeconds; a timeout setting through
 * `timeoutFor(msg, settingMs)`, so `msg.timeout` can override it. `contextStore` + `carryOverFor` give
 * a KeyValueStore over node context that also survives a redeploy without a context store.
 */
export * from './red-types';
export * from './i18n';
export * from './errors';
export * from './status';
export * from './runner';
export * from './msg';
export * from './values';
export * from './config-api';
export * from './context-store';
export * from './version';
export * from './snapshot';
