/**
 * The typed, validated Electrum methods the watcher uses, on top of one session (session.ts). Every result is
 * shape-checked (validate.ts); a transaction must hash to the txid asked for.
 */
import { Transaction } from 'bitcoinjs-lib';
import { ElectrumUnsupportedError } from './errors.ts';
import { ElectrumSession } from './session.ts';
import {
  isHash64,
  parseBlockHeader,
  parseBlockHeaders,
  parseHeaderInfo,
  parseHistory,
  parseMerkle,
  parseStatus,
  parseTransactionHex,
  parseTxid,
  type BlockHeadersResult,
  type HeaderInfo,
  type HistoryEntry,
  type MerkleProof,
} from './validate.ts';

export { CLIENT_NAME, GENESIS_HASHES, PROTOCOL_MAX, PROTOCOL_MIN, compareVersions } from './protocol.ts';
export {
  type BatchCall,
  type BatchResult,
  type ClientState,
  type ElectrumClientOptions,
  type IpFamily,
} from './session.ts';

export class ElectrumClient extends ElectrumSession {
  async ping(timeoutMs?: number): Promise<void> {
    await this.request('server.ping', [], { timeoutMs: timeoutMs ?? this.opts.pingTimeoutMs });
  }

  async headersSubscribe(): Promise<HeaderInfo> {
    return this.checked(await this.request('blockchain.headers.subscribe', []), parseHeaderInfo);
  }

  async scripthashSubscribe(scripthash: string): Promise<string | null> {
    assertScripthash(scripthash);
    return this.checked(await this.request('blockchain.scripthash.subscribe', [scripthash]), (v) => parseStatus(v));
  }

  /** Only when 1.4.2 or later was negotiated; otherwise throws ElectrumUnsupportedError (shed by reconnecting). */
  async unsubscribe(scripthash: string): Promise<boolean> {
    assertScripthash(scripthash);
    if (!this.supportsUnsubscribe) {
      throw new ElectrumUnsupportedError(`blockchain.scripthash.unsubscribe needs protocol 1.4.2; negotiated ${this.protocolVersion ?? 'none'}`);
    }
    const r = await this.request('blockchain.scripthash.unsubscribe', [scripthash]);
    if (typeof r !== 'boolean') this.protocolError('malformed unsubscribe result from server: not a boolean');
    return r as boolean;
  }

  async getHistory(scripthash: string): Promise<HistoryEntry[]> {
    assertScripthash(scripthash);
    return this.checked(await this.request('blockchain.scripthash.get_history', [scripthash]), parseHistory);
  }

  /** Raw transaction hex; rejected with ElectrumProtocolError unless it hashes to txid. */
  async getTransaction(txid: string): Promise<string> {
    assertTxid(txid);
    const hex = this.checked(await this.request('blockchain.transaction.get', [txid, false]), parseTransactionHex);
    let got: string;
    try {
      got = Transaction.fromHex(hex).getId();
    } catch (e) {
      return this.protocolError(`transaction ${txid} from server does not parse: ${(e as Error).message}`);
    }
    if (got !== txid) return this.protocolError(`transaction from server hashes to ${got}, not the requested ${txid}`);
    return hex;
  }

  async getMerkle(txid: string, height: number): Promise<MerkleProof> {
    assertTxid(txid);
    return this.checked(await this.request('blockchain.transaction.get_merkle', [txid, height]), (v) => parseMerkle(v, height));
  }

  async blockHeader(height: number): Promise<string> {
    return this.checked(await this.request('blockchain.block.header', [height]), parseBlockHeader);
  }

  /** Concatenated headers; protocol 1.6 servers answer a `headers` array, older ones one `hex` string. */
  async blockHeaders(startHeight: number, count: number): Promise<BlockHeadersResult> {
    return this.checked(await this.request('blockchain.block.headers', [startHeight, count]), (v) => parseBlockHeaders(v, count));
  }

  /** Returns the txid the server reports. */
  async broadcast(rawTxHex: string): Promise<string> {
    return this.checked(await this.request('blockchain.transaction.broadcast', [rawTxHex]), (v) => parseTxid(v, 'broadcast result'));
  }

}

function assertScripthash(sh: string): void {
  if (!isHash64(sh)) throw new TypeError(`not a scripthash (64 lowercase hex digits): ${String(sh).slice(0, 80)}`);
}
function assertTxid(txid: string): void {
  if (!isHash64(txid)) throw new TypeError(`not a txid (64 lowercase hex digits): ${String(txid).slice(0, 80)}`);
}
