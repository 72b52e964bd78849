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
/// The artifact store takes a write: a file is created and removed under its root. A store that is
/// read-only, full, or not a folder fails this, as uploads and checkpoints would.
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
            await File.WriteAllBytesAsync(probe, [1], cancellationToken);
            File.Delete(probe);
            return HealthCheckResult.Healthy("writable");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return HealthCheckResult.Unhealthy($"{root} refuses writes: {ex.Message}");
        }
    }
}
