using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.Data.Migrations;

/// <summary>
/// Applies migrations/*.sql in version order, one transaction per file, recording each in
/// schema_migrations with its checksum. A session-level advisory lock serialises migrators, so web
/// hosts and workers starting together apply every file once. A file whose checksum differs from the
/// recorded one stops everything: the database no longer matches what the code was written for.
/// </summary>
public sealed class SqlMigrator
{
    // Any constant works as long as nothing else in the database uses it; this one spells "PLATMIGR".
    private const long AdvisoryLockKey = 0x504C41544D494752;

    private const string CreateHistory = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer NOT NULL,
            name varchar(200) NOT NULL,
            checksum char(64) NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_schema_migrations PRIMARY KEY (version)
        )
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly IReadOnlyList<MigrationScript> _scripts;
    private readonly ILogger<SqlMigrator> _logger;

    public SqlMigrator(NpgsqlDataSource dataSource, IReadOnlyList<MigrationScript> scripts, ILogger<SqlMigrator> logger)
    {
        _dataSource = dataSource;
        _scripts = MigrationScripts.Ordered(scripts);
        _logger = logger;
    }

    public IReadOnlyList<MigrationScript> Scripts => _scripts;

    /// <summary>Applies every pending file; throws <see cref="MigrationException"/> naming the file at fault.</summary>
    public async Task<MigrationReport> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, CreateHistory, cancellationToken);
            var applied = await ReadAppliedAsync(connection, cancellationToken);
            var pending = Verify(applied);
            var appliedNow = new List<string>();
            foreach (var script in pending)
            {
                await ApplyAsync(connection, script, cancellationToken);
                appliedNow.Add(script.FileName);
            }
            return new MigrationReport(Names(applied.Keys), appliedNow, []);
        }
        finally
        {
            // Unlock on the same session. If the connection broke, closing it released the lock
            // anyway, and the original failure is the one worth reporting.
            try
            {
                await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
            }
            catch (NpgsqlException ex)
            {
                _logger.LogWarning(ex, "Could not release the migration lock; closing the connection releases it");
            }
        }
    }

    /// <summary>
    /// Check-only mode: verifies the checksums of applied files and reports pending ones without
    /// changing the database (for hosts that must not migrate, e.g. workers).
    /// </summary>
    public async Task<MigrationReport> CheckAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", connection);
        var hasHistory = (bool)(await exists.ExecuteScalarAsync(cancellationToken))!;
        var applied = hasHistory ? await ReadAppliedAsync(connection, cancellationToken) : [];
        var pending = Verify(applied);
        return new MigrationReport(Names(applied.Keys), [], pending.Select(s => s.FileName).ToList());
    }

    private List<MigrationScript> Verify(Dictionary<int, (string Name, string Checksum)> applied)
    {
        foreach (var (version, row) in applied.OrderBy(a => a.Key))
        {
            var script = _scripts.FirstOrDefault(s => s.Version == version);
            var fileName = $"{version:D4}_{row.Name}.sql";
            if (script is null)
            {
                throw new MigrationException(fileName,
                    $"The database has migration {fileName}, which this build does not contain: it was migrated by a newer build.");
            }
            if (script.Checksum != row.Checksum)
            {
                throw new MigrationException(script.FileName,
                    $"Migration {script.FileName} was edited after it was applied (checksum {row.Checksum} in the database, {script.Checksum} now). " +
                    "Applied migrations are immutable: restore the file and add a new migration instead.");
            }
        }
        return _scripts.Where(s => !applied.ContainsKey(s.Version)).ToList();
    }

    private async Task ApplyAsync(NpgsqlConnection connection, MigrationScript script, CancellationToken cancellationToken)
    {
        _logger.LogInformation("Applying migration {File}", script.FileName);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await using (var command = new NpgsqlCommand(script.Sql, connection, transaction))
            {
                command.CommandTimeout = 0;
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            await using (var record = new NpgsqlCommand(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", connection, transaction))
            {
                record.Parameters.Add(new NpgsqlParameter { Value = script.Version });
                record.Parameters.Add(new NpgsqlParameter { Value = script.Name });
                record.Parameters.Add(new NpgsqlParameter { Value = script.Checksum });
                await record.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }
        catch (PostgresException ex)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            throw new MigrationException(script.FileName,
                $"Migration {script.FileName} failed and was rolled back: {ex.MessageText}" +
                (ex.Position > 0 ? $" (at character {ex.Position})" : ""), ex);
        }
    }

    private static async Task<Dictionary<int, (string Name, string Checksum)>> ReadAppliedAsync(
        NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, (string, string)>();
        await using var command = new NpgsqlCommand("SELECT version, name, checksum FROM schema_migrations ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
        }
        return applied;
    }

    private List<string> Names(IEnumerable<int> versions) =>
        versions.Order().Select(v => _scripts.FirstOrDefault(s => s.Version == v)?.FileName ?? $"{v:D4}").ToList();

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
