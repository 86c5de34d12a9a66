-- Operational metadata: batch ledger, rejected rows, load history, stream offsets.
CREATE SCHEMA IF NOT EXISTS OPS
