using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data;
using Platform.Data.Artifacts;
using Platform.Jobs.Privacy;
using Platform.Jobs.Training;
using Platform.Testing;

namespace Platform.Jobs.Tests;

/// <summary>
/// The shell the legacy folder migrations share, run as the hosted service the web host starts: only where
/// the host applies migrations, and a failure logged, never thrown into the host. The job migration serves
/// as the subject, on a result row in the shape installs before the artifact store wrote.
/// </summary>
public sealed class LegacyFolderMigrationTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("platform-legacy-test-").FullName;
    private PostgresDatabase _database = null!;
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _database.ConnectionString,
            ["Storage:Root"] = _root,
            ["Data:Migrations"] = "Check",
        });
        builder.AddPlatformData();
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _database.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Start_HostThatAppliesMigrations_MovesTheOldShapeResultsFolderIntoTheStore()
    {
        var (tenant, job, folder) = await LegacyJobAsync();
        var logger = new ListLogger();

        await RunAsync(Migration(MigrationMode.None, logger));
        Assert.True(Directory.Exists(folder), "a host that does not apply migrations leaves the folders alone");
        Assert.Equal(folder, JobResult.Parse(await ResultAsync(job))!.ModelDirectory);

        await RunAsync(Migration(MigrationMode.Apply, logger));

        var result = JobResult.Parse(await ResultAsync(job))!;
        Assert.Equal((LegacyJobFolderMigration.MigratedModel(job), (string?)null, 0.75), (result.ModelFolder, result.ModelDirectory, result.Accuracy));
        Assert.False(Directory.Exists(folder));
        await using (var stored = await _host.Services.GetRequiredService<StoredFolders>().OpenReadAsync(tenant, result.ModelFolder!, "config.json"))
        using (var reader = new StreamReader(stored))
            Assert.Equal("{\"labels\": [\"a\", \"b\"]}", await reader.ReadToEndAsync());
        Assert.Contains(logger.Lines, l => l == "Information: Moved 1 model folder(s) of an earlier version into the artifact store");
    }

    [Fact]
    public async Task Start_DatabaseUnreachable_LogsTheFailureAndLetsTheHostRun()
    {
        var logger = new ListLogger();
        await using var unreachable = NpgsqlDataSource.Create("Host=127.0.0.1;Port=9;Database=none;Username=none;Timeout=2");
        var migration = Migration(MigrationMode.Apply, logger, unreachable);

        await RunAsync(migration);

        Assert.True(migration.ExecuteTask!.IsCompletedSuccessfully);
        Assert.Contains(logger.Lines, l => l.StartsWith("Error: Moving model folder(s) into the artifact store failed", StringComparison.Ordinal));
    }

    private LegacyJobFolderMigration Migration(MigrationMode mode, ListLogger logger, NpgsqlDataSource? dataSource = null) => new(
        dataSource ?? _database.DataSource, _host.Services.GetRequiredService<StoredFolders>(),
        new TenantFolders(_host.Services.GetRequiredService<IConfiguration>()),
        Options.Create(new DataOptions { Migrations = mode }), logger);

    private static async Task RunAsync(LegacyJobFolderMigration migration)
    {
        await migration.StartAsync(CancellationToken.None);
        await migration.ExecuteTask!;
        await migration.StopAsync(CancellationToken.None);
    }

    /// <summary>A succeeded job whose result, as stored before the artifact store, names its model folder on disk.</summary>
    private async Task<(Guid Tenant, Guid Job, string Folder)> LegacyJobAsync()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        var job = Guid.CreateVersion7();
        var folder = Path.Combine(_root, "jobs", tenant.Id.ToString("N"), job.ToString("N"), "model");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "config.json"), "{\"labels\": [\"a\", \"b\"]}");
        await using var insert = _database.DataSource.CreateCommand("""
            INSERT INTO jobs (id, tenant_id, kind, name, state, payload, result, finished_at)
            VALUES ($1, $2, 'train', 'old job', 'Succeeded', '{}', jsonb_build_object('modelDirectory', $3::text, 'accuracy', 0.75, 'macroF1', 0.7), now())
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = job });
        insert.Parameters.Add(new NpgsqlParameter { Value = tenant.Id });
        insert.Parameters.Add(new NpgsqlParameter { Value = folder });
        await insert.ExecuteNonQueryAsync();
        return (tenant.Id, job, folder);
    }

    private Task<string> ResultAsync(Guid job) => _database.ScalarAsync<string>($"SELECT result::text FROM jobs WHERE id = '{job}'");

    private sealed class ListLogger : ILogger<LegacyJobFolderMigration>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
                Lines.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }
}
