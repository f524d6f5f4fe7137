-- `shipments_updated_idx (updated_at DESC)` is a prefix of
-- `shipments_updated_number_idx (updated_at DESC, tracking_number DESC)`, the
-- console's keyset index, which serves every ordering and range it served
-- (and the "needs attention" page without the incremental sort it needed).
-- Every status change wrote an entry into both: the status-change statement
-- under pgbench went from 1,971–2,010/s to 2,132–2,165/s without it
-- (BENCHMARKS.md, issue 14).
DROP INDEX shipments_updated_idx;
