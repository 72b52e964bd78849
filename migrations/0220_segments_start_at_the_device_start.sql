-- A segment starts when the device started working on the run, not when its claim committed
-- (issue 10, decision 0019 point 5, amended by decision 0039).
--
-- A segment's end was already the worker's "stopped so many seconds ago"; its start stayed the claim's
-- commit. The device starts when the claim's answer reaches the worker, which on a loaded machine
-- (or after an outage, on a fresh connection) came 1.06-1.34 s later (chaos seeds 707 and 808): those
-- seconds were billed though the device had not started. The worker measures its device time on its
-- own monotonic clock from the answer's arrival to the stop and already reports it (p_device_seconds).
-- So the device started device_seconds before the stop the worker reported, and a reported segment
-- now spans exactly the device time its worker measured. Never before the claim committed (the device cannot
-- have started earlier; a report of more device time than that, from a clock that jumped, keeps the
-- commit). A segment without a report (ended at its renewal after the report grace) keeps the commit.
-- While a run trains its open segment still counts from the commit: usage to date may show up to the
-- claim's latency more until the run's end is reported.

-- A trigger, not a change to end_run and complete_and_claim: later migrations redefine those (0245 for
-- gangs), and the rule must hold whoever closes a segment with its worker's report. It runs when a
-- worker's report closes the segment, after its end was set (run_end_at). An end capped at the start
-- of the job's next run (the device worked on past it) does not say where the device stopped, so such
-- a segment keeps the claim's commit as its start, as before.
CREATE FUNCTION usage_segment_device_start() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.closed AND NOT OLD.closed AND NEW.end_source = 'worker' AND NEW.device_seconds IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM usage_segments n
                       WHERE n.job_id = NEW.job_id AND n.started_at = NEW.ended_at
                         AND (n.attempt, n.segment) <> (NEW.attempt, NEW.segment)) THEN
        NEW.started_at := greatest(OLD.started_at,
            least(NEW.ended_at, NEW.ended_at - make_interval(secs => greatest(NEW.device_seconds, 0))));
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER usage_segments_device_start BEFORE UPDATE OF closed ON usage_segments
    FOR EACH ROW EXECUTE FUNCTION usage_segment_device_start();
