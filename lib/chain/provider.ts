/**
 * An ethers v6 JsonRpcProvider whose requests go through our RpcTransport, so users of
 * the library who want ethers' API (contracts, formatting) get the same failover and
 * chain-id checks as the client itself.
 */
import { JsonRpcProvider, Network, type JsonRpcError, type JsonRpcPayload, type JsonRpcResult } from 'ethers';
import { RpcAnswerError, type RpcTransport } from './rpc';

export class FailoverJsonRpcProvider extends JsonRpcProvider {
  private readonly transport: RpcTransport;

  constructor(transport: RpcTransport, chainId: number) {
    const network = Network.from(chainId);
    // staticNetwork: no eth_chainId before every call (the transport checked it once per URL).
    super(undefined, network, { staticNetwork: network, batchMaxCount: 1 });
    this.transport = transport;
  }

  // JsonRpcProvider types _send as results only, but ethers handles error entries at run time.
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    return Promise.all(
      list.map(async (p): Promise<JsonRpcResult | JsonRpcError> => {
        try {
          return { id: p.id, result: await this.transport.request(p.method, p.params as unknown[]) };
        } catch (err) {
          if (err instanceof RpcAnswerError) {
            return { id: p.id, error: { code: err.rpcCode ?? -32000, message: err.rpcMessage, data: err.data } };
          }
          throw err;
        }
      }),
    ) as Promise<JsonRpcResult[]>;
  }
}
