using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data.Artifacts;
using Platform.Data.Migrations;

namespace Platform.Web.Health;

/// <summary>The database answers a query.</summary>
internal sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy("answers");
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"unreachable: {ex.Message}");
        }
    }
}

/// <summary>The database has every migration this build was written for, and no edited or newer one.</summary>
internal sealed class MigrationsHealthCheck(SqlMigrator migrator) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var report = await migrator.CheckAsync(cancellationToken);
            return report.IsUpToDate
                ? HealthCheckResult.Healthy($"{report.AlreadyApplied.Count} applied")
                : HealthCheckResult.Unhealthy($"pending: {string.Join(", ", report.Pending)}");
        }
        catch (MigrationException ex)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"not checked, the database is unreachable: {ex.Message}");
        }
    }
}

/// <summary>
/// The artifact store takes a write and gives it back: a file is created, read back and removed under
/// its root. A store that is read-only, full, not a folder, or returns other bytes fails this, as
/// uploads and checkpoints would.
/// </summary>
internal sealed class StorageHealthCheck(IOptions<StorageOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var root = options.Value.Root!;
        var probe = Path.Combine(root, $".health-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            // As the store itself does on its first write: a fresh deployment's root may not exist yet.
            Directory.CreateDirectory(root);
            var written = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            await File.WriteAllBytesAsync(probe, written, cancellationToken);
            var read = await File.ReadAllBytesAsync(probe, cancellationToken);
            File.Delete(probe);
            return read.AsSpan().SequenceEqual(written)
                ? HealthCheckResult.Healthy("writable and readable")
                : HealthCheckResult.Unhealthy($"{root} returned other bytes than were written");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return HealthCheckResult.Unhealthy($"{root} refuses writes: {ex.Message}");
        }
    }
}

/// <summary>
/// The periodic work runs: billing's period close (a step that always applies) succeeded within three
/// intervals, and the retention sweep within two days once it has run. Late is Degraded, not Unhealthy:
/// a stalled scheduler is an operator's alarm, not a reason for the load balancer to stop sending
/// requests, so readiness still answers 200 and names it.
/// </summary>
internal sealed class SchedulerHealthCheck(NpgsqlDataSource dataSource, IOptions<Platform.Billing.Scheduling.BillingSchedulerOptions> options)
    : IHealthCheck
{
    private static readonly DateTimeOffset ProcessStarted = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();

    private static readonly TimeSpan RetentionAllowance = TimeSpan.FromDays(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        if (!settings.Enabled)
            return HealthCheckResult.Healthy("billing steps are off the schedule here (BillingScheduler:Enabled=false)");
        IReadOnlyDictionary<string, DateTimeOffset?> runs;
        try
        {
            runs = await Platform.Data.Scheduling.SchedulerRuns.LastSucceededAsync(dataSource, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or OperationCanceledException)
        {
            return HealthCheckResult.Degraded($"not checked, the database is unreachable: {ex.Message}");
        }
        var now = DateTimeOffset.UtcNow;
        var allowance = settings.Interval * 3 + TimeSpan.FromMinutes(2);
        var billing = Platform.Billing.Scheduling.BillingScheduler.StepNameFor(Platform.Billing.Scheduling.BillingStep.CloseDuePeriods);
        var problems = new List<string>();
        var last = runs.GetValueOrDefault(billing);
        if (last is null && now - ProcessStarted > allowance)
            problems.Add($"{billing} has never succeeded");
        else if (last is { } at && now - at > allowance)
            problems.Add($"{billing} last succeeded {Ago(now - at)} ago (every {settings.Interval} expected)");
        if (runs.GetValueOrDefault(Platform.Jobs.Privacy.RetentionSweep.StepName) is { } swept && now - swept > RetentionAllowance)
            problems.Add($"{Platform.Jobs.Privacy.RetentionSweep.StepName} last succeeded {Ago(now - swept)} ago");
        if (problems.Count > 0)
            return HealthCheckResult.Degraded(string.Join("; ", problems));
        return HealthCheckResult.Healthy(last is { } ran ? $"{billing} succeeded {Ago(now - ran)} ago" : "no run yet; the first is due");
    }

    private static string Ago(TimeSpan span) => span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h" : $"{Math.Max(0, span.TotalMinutes):0.#} min";
}
