using System.Diagnostics;
using System.Diagnostics.Metrics;
using Npgsql;
using NpgsqlTypes;

namespace Platform.Data.Scheduling;

/// <summary>
/// Records each run of a periodic step in scheduler_runs (migration 0171) and counts it in the
/// <c>platform.scheduler.runs</c> metric. Recording is best effort: a step that did its work is not
/// failed because its bookkeeping could not be written.
/// </summary>
public static class SchedulerRuns
{
    public const string MeterName = "Platform.Scheduler";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Runs = Meter.CreateCounter<long>("platform.scheduler.runs", unit: "{run}",
        description: "Runs of the periodic steps (billing, housekeeping), by step and outcome");

    private static readonly Histogram<double> Durations = Meter.CreateHistogram<double>("platform.scheduler.run.duration", unit: "s",
        description: "How long each periodic step took");

    /// <summary>Runs <paramref name="step"/>'s work and records how it went; the work's exception still escapes.</summary>
    public static async Task<T> RecordAsync<T>(NpgsqlDataSource dataSource, string step, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        try
        {
            var result = await work();
            Count(step, "succeeded", clock.Elapsed);
            await WriteAsync(dataSource, step, started, null, cancellationToken);
            return result;
        }
        catch (Exception ex)
        {
            Count(step, ex is OperationCanceledException ? "cancelled" : "failed", clock.Elapsed);
            await WriteAsync(dataSource, step, started, ex.Message, CancellationToken.None);
            throw;
        }
    }

    /// <summary>When each step last succeeded (null: never), for the readiness check.</summary>
    public static async Task<IReadOnlyDictionary<string, DateTimeOffset?>> LastSucceededAsync(NpgsqlDataSource dataSource,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT step, last_succeeded_at FROM scheduler_runs");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var found = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
            found[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
        return found;
    }

    private static void Count(string step, string outcome, TimeSpan took)
    {
        var tags = new TagList { { "step", step }, { "outcome", outcome } };
        Runs.Add(1, tags);
        Durations.Record(took.TotalSeconds, tags);
    }

    private static async Task WriteAsync(NpgsqlDataSource dataSource, string step, DateTimeOffset started, string? error,
        CancellationToken cancellationToken)
    {
        try
        {
            await using var command = dataSource.CreateCommand("""
                INSERT INTO scheduler_runs (step, last_started_at, last_succeeded_at, last_failed_at, last_error)
                VALUES ($1, $2, CASE WHEN $3::text IS NULL THEN now() END, CASE WHEN $3::text IS NOT NULL THEN now() END, $3)
                ON CONFLICT (step) DO UPDATE SET last_started_at = EXCLUDED.last_started_at,
                    last_succeeded_at = coalesce(EXCLUDED.last_succeeded_at, scheduler_runs.last_succeeded_at),
                    last_failed_at = coalesce(EXCLUDED.last_failed_at, scheduler_runs.last_failed_at),
                    last_error = CASE WHEN EXCLUDED.last_succeeded_at IS NOT NULL THEN NULL ELSE EXCLUDED.last_error END
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = step });
            command.Parameters.Add(new NpgsqlParameter { Value = started });
            command.Parameters.Add(new NpgsqlParameter
            {
                Value = (object?)(error is { Length: > 2000 } ? error[..2000] : error) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text,
            });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or OperationCanceledException)
        {
            // The database is what failed the step, most likely; the metric above still counted it.
        }
    }
}
