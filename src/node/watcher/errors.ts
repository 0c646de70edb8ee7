/** The server broke a trust rule (status mismatch past its grace, bad proof, forged transaction): leave it. */
export class ServerMisbehaviour extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerMisbehaviour';
  }
}
