/**
 * 032: `attempts_at` goes (docs/decisions/0113-attempts-unindexed-by-time.md). Migration 001 indexed attempts by their
 * time for a log view that was never built that way: every reader finds attempts through their delivery
 * (attempts_delivery), and retention drops them with their delivery. The index cost 2 bytes per invoice at a million.
 */
export const up = `DROP INDEX attempts_at;`;
