using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Data;
using Platform.Data.Migrations;
using Platform.Domain.Common;

namespace Platform.Testing;

/// <summary>
/// A fresh, uniquely named database on the server named by PLATFORM_TEST_PG (set by `./platform
/// test`), migrated with the embedded migrations unless asked not to, and dropped on dispose. Tests
/// never share rows, so they can run in parallel and in any order.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string ServerVariable = "PLATFORM_TEST_PG";

    private readonly string _serverConnectionString;

    private PostgresDatabase(string serverConnectionString, string name, string connectionString)
    {
        _serverConnectionString = serverConnectionString;
        Name = name;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>Creates the database; <paramref name="migrate"/> false leaves it empty (migrator tests).</summary>
    public static async Task<PostgresDatabase> CreateAsync(bool migrate = true)
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new InvalidOperationException(
                $"{ServerVariable} is not set. Integration tests need a PostgreSQL server: run `./platform test`, or set " +
                $"{ServerVariable} to an Npgsql connection string for the 'postgres' database, e.g. " +
                "Host=127.0.0.1;Port=55432;Database=postgres;Username=postgres");
        }
        var name = $"platform_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name, IncludeErrorDetail = true }.ConnectionString;
        var database = new PostgresDatabase(server, name, connectionString);
        if (migrate)
        {
            await database.CreateMigrator().MigrateAsync();
        }
        return database;
    }

    public SqlMigrator CreateMigrator(IReadOnlyList<MigrationScript>? scripts = null) =>
        new(DataSource, scripts ?? MigrationScripts.Embedded(), NullLogger<SqlMigrator>.Instance);

    public PlatformDbContext CreateDbContext(ICurrentTenant currentTenant) =>
        new(new DbContextOptionsBuilder<PlatformDbContext>().UseNpgsql(DataSource).Options, currentTenant);

    public PlatformDbContext CreateDbContext(Guid? tenantId = null, Guid? userId = null) =>
        CreateDbContext(new TestTenant(tenantId, userId));

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        // FORCE ends connections other data sources (a host under test) still hold on this database.
        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
