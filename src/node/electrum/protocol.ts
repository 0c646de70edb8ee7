/** Protocol constants shared by the session, the pool and the sandbox's tests: defined in src/core, named here. */
export { GENESIS_HASHES } from '../../core/network.ts';
export { PROTOCOL_MAX, PROTOCOL_MIN, compareVersions, isVersionString } from '../../core/chain/protocol.ts';

export const CLIENT_NAME = 'satdesk/0.1.0';
