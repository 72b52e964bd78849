using Npgsql;

namespace Platform.Testing;

/// <summary>Billable time written as timestamps, so a test needs no wall-clock wait to have used a device.</summary>
public static class TestUsage
{
    /// <summary>
    /// Moves the start of a claimed job's open run (its usage segment, claim and job start) back by
    /// <paramref name="seconds"/>: completing it now bills that many seconds and a fraction more, as if
    /// it had run that long.
    /// </summary>
    public static async Task BackdateRunAsync(NpgsqlDataSource dataSource, Guid jobId, double seconds)
    {
        await using var command = dataSource.CreateCommand("""
            WITH segment AS (
                UPDATE usage_segments SET started_at = started_at - make_interval(secs => $2) WHERE job_id = $1 AND NOT closed),
            claim AS (
                UPDATE job_queue SET claimed_at = claimed_at - make_interval(secs => $2) WHERE job_id = $1)
            UPDATE jobs SET started_at = started_at - make_interval(secs => $2) WHERE id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = seconds });
        await command.ExecuteNonQueryAsync();
    }
}
