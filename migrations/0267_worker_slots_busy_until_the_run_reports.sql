-- A worker's free slots as a gang claim counts them (worker_free_slots, 0245) were its slots less the
-- leases it held. A run released with its gang (a sibling died, the sweep) holds no lease, yet its
-- device is busy until the worker notices at its next renewal, or longer: a rank waiting in c10d's
-- rendezvous for a peer that will never come cannot be interrupted and stops at the rendezvous
-- timeout. Counted free, that slot was given a rank of the gang's next start, which nobody picked up
-- within its lease: the end-to-end test of a killed rank (DataParallelJobTests) saw two such lost
-- starts of 10 s each before the gang resumed.
--
-- A run's usage segment stays open from its claim until its worker reports the device's stop (or
-- the grace sweep gives up on a dead worker): it is the truthful count of the slots in use. Ranks
-- assigned here and not picked up yet have no segment yet and count too.

CREATE INDEX ix_usage_segments_worker_open ON usage_segments (worker_id) WHERE NOT closed;

CREATE OR REPLACE FUNCTION worker_free_slots(p_worker uuid)
RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT w.slots
         - (SELECT count(*) FROM usage_segments s WHERE s.worker_id = w.id AND NOT s.closed)::integer
         - (SELECT count(*) FROM gang_ranks g WHERE g.worker_id = w.id AND g.picked_up_at IS NULL)::integer
    FROM workers w WHERE w.id = p_worker
$$;
