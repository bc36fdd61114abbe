-- rekey's store on PostgreSQL, migration 1: one table per tree of the store.
-- Keys and values are bytes (values are JSON written by rekey); every change
-- that must happen together is one SERIALIZABLE transaction over these tables.

-- rekey's own accounts (when the directory is rekey's), by address
CREATE TABLE rekey_accounts (key bytea PRIMARY KEY, value bytea NOT NULL);
-- each session's recovery: the address, the code's hash and tries
CREATE TABLE rekey_flows (key bytea PRIMARY KEY, value bytea NOT NULL);
-- open wizard sessions
CREATE TABLE rekey_sessions (key bytea PRIMARY KEY, value bytea NOT NULL);
-- codes sent per address and origin in the last hour
CREATE TABLE rekey_rate (key bytea PRIMARY KEY, value bytea NOT NULL);
-- mail not yet delivered, and delivered mail kept a while
CREATE TABLE rekey_outbox (key bytea PRIMARY KEY, value bytea NOT NULL);
-- the audit trail, one hash-chained event per row, by number
CREATE TABLE rekey_audit (key bytea PRIMARY KEY, value bytea NOT NULL);
-- Support tickets
CREATE TABLE rekey_tickets (key bytea PRIMARY KEY, value bytea NOT NULL);
-- the schema stamp, the installation's secret, counters, the outbox's index
CREATE TABLE rekey_meta (key bytea PRIMARY KEY, value bytea NOT NULL);
-- password changes sent to the directory and not yet confirmed
CREATE TABLE rekey_changes (key bytea PRIMARY KEY, value bytea NOT NULL);

-- Numbers for outbox messages (their Message-ID and audit events name them).
CREATE SEQUENCE rekey_outbox_ids;
