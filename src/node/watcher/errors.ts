/** The server broke a trust rule (status mismatch past its grace, bad proof, forged transaction): leave it. */
export class ServerMisbehaviour extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerMisbehaviour';
  }
}

/**
 * The server's headers and its announced tip disagree. An honest server does this for a moment while it applies a
 * reorg (ElectrumX serves headers from a database it is rewriting): retried, blamed only if it persists.
 */
export class InconsistentTip extends ServerMisbehaviour {
  constructor(message: string) {
    super(message);
    this.name = 'InconsistentTip';
  }
}
