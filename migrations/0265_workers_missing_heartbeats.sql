-- A worker that stopped beating (killed, frozen, cut off) kept looking alive for a whole lease: the
-- admin page called it live, and a gang claim (live_workers, 0245) assigned ranks to its free slots,
-- which no one picked up, so the gang waited at its rendezvous until the ranks' leases ran out. A
-- worker's heartbeat comes every Worker:RecoverEvery (its housekeeping timer), 5 s by default against
-- a 30 s lease: it now records that period, and missing a beat is enough to stop counting on it.

ALTER TABLE workers ADD COLUMN heartbeat_every interval NOT NULL DEFAULT interval '5 seconds'
    CHECK (heartbeat_every > interval '0');

-- A worker missed a heartbeat when its last one is older than its period plus one more period (at
-- least 2 s): the timer's own lateness and the beat's write on a busy database stay under that, so a
-- live worker is not dropped between two beats.
CREATE FUNCTION worker_responding(p_heartbeat_at timestamptz, p_heartbeat_every interval)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_heartbeat_at > now() - (p_heartbeat_every + greatest(p_heartbeat_every, interval '2 seconds'))
$$;

-- Live workers of a kind: not stopped, and responding (above). The lease bound stays for a worker
-- configured with a beat slower than its lease.
CREATE OR REPLACE FUNCTION live_workers(p_device_kind varchar, p_lease_seconds integer)
RETURNS SETOF workers
LANGUAGE sql STABLE AS $$
    SELECT * FROM workers w
    WHERE w.device_kind = p_device_kind AND w.stopped_at IS NULL
      AND w.heartbeat_at > now() - make_interval(secs => p_lease_seconds)
      AND worker_responding(w.heartbeat_at, w.heartbeat_every)
$$;
