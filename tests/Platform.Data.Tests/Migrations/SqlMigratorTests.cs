using Platform.Data.Migrations;
using Platform.Testing;

namespace Platform.Data.Tests.Migrations;

public class SqlMigratorTests
{
    private static MigrationScript Script(string file, string sql) => MigrationScript.Parse(file, sql);

    private static readonly MigrationScript CreateNotes = Script("0001_notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);");
    private static readonly MigrationScript InsertNote = Script("0002_first_note.sql", "INSERT INTO notes VALUES (1, 'hello');");

    [Fact]
    public async Task MigrateAsync_EmptyDatabase_AppliesEmbeddedFilesInOrder()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        var migrator = database.CreateMigrator();

        var report = await migrator.MigrateAsync();

        Assert.Equal(migrator.Scripts.Select(s => s.FileName), report.AppliedNow);
        Assert.Equal(["0001_identity.sql", "0002_tenants.sql", "0003_datasets.sql"], report.AppliedNow.Take(3));
        Assert.Equal(migrator.Scripts.Count, await database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
        Assert.Equal(migrator.Scripts[^1].Checksum, await database.ScalarAsync<string>("SELECT checksum FROM schema_migrations ORDER BY version DESC LIMIT 1"));
        Assert.True(await database.ScalarAsync<bool>("SELECT to_regclass('datasets') IS NOT NULL"));
    }

    [Fact]
    public async Task MigrateAsync_SecondRun_IsNoOp()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        await database.CreateMigrator([CreateNotes, InsertNote]).MigrateAsync();

        var report = await database.CreateMigrator([CreateNotes, InsertNote]).MigrateAsync();

        Assert.Empty(report.AppliedNow);
        Assert.Equal(["0001_notes.sql", "0002_first_note.sql"], report.AlreadyApplied);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM notes"));
    }

    [Fact]
    public async Task MigrateAsync_NewFileAdded_AppliesOnlyIt()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        await database.CreateMigrator([CreateNotes]).MigrateAsync();

        var report = await database.CreateMigrator([CreateNotes, InsertNote]).MigrateAsync();

        Assert.Equal(["0002_first_note.sql"], report.AppliedNow);
    }

    [Fact]
    public async Task MigrateAsync_ConcurrentMigrators_ApplyEachFileOnce()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        // The sleep keeps the first file's transaction open so the other migrators arrive while it
        // runs; without the advisory lock they would fail on CREATE TABLE or insert twice.
        var slowCreate = Script("0001_notes.sql", "SELECT pg_sleep(0.3); CREATE TABLE notes (id int, body text NOT NULL);");
        var insert = Script("0002_first_note.sql", "INSERT INTO notes VALUES (1, 'hello');");

        var reports = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            await using var own = Npgsql.NpgsqlDataSource.Create(database.ConnectionString);
            return await new SqlMigrator(own, [slowCreate, insert], Microsoft.Extensions.Logging.Abstractions.NullLogger<SqlMigrator>.Instance).MigrateAsync();
        })));

        Assert.Equal(2, reports.Sum(r => r.AppliedNow.Count));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM notes"));
        Assert.Equal(2L, await database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task MigrateAsync_AppliedFileEdited_ThrowsNamingFile()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        await database.CreateMigrator([CreateNotes, InsertNote]).MigrateAsync();
        var edited = Script("0002_first_note.sql", "INSERT INTO notes VALUES (2, 'edited');");
        var later = Script("0003_more.sql", "INSERT INTO notes VALUES (3, 'later');");

        var ex = await Assert.ThrowsAsync<MigrationException>(() => database.CreateMigrator([CreateNotes, edited, later]).MigrateAsync());

        Assert.Equal("0002_first_note.sql", ex.FileName);
        Assert.Contains("0002_first_note.sql was edited", ex.Message);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM notes"));
    }

    [Fact]
    public async Task MigrateAsync_CrlfLineEndings_SameChecksum()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        await database.CreateMigrator([Script("0001_notes.sql", "CREATE TABLE notes (id int);\nSELECT 1;")]).MigrateAsync();

        var report = await database.CreateMigrator([Script("0001_notes.sql", "CREATE TABLE notes (id int);\r\nSELECT 1;")]).MigrateAsync();

        Assert.Empty(report.AppliedNow);
    }

    [Fact]
    public async Task MigrateAsync_FailingFile_RollsBackOnlyThatFile()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        var failing = Script("0002_broken.sql", "CREATE TABLE half_done (id int); INSERT INTO notes VALUES (1, NULL);");

        var ex = await Assert.ThrowsAsync<MigrationException>(() => database.CreateMigrator([CreateNotes, failing]).MigrateAsync());

        Assert.Equal("0002_broken.sql", ex.FileName);
        Assert.Contains("rolled back", ex.Message);
        Assert.True(await database.ScalarAsync<bool>("SELECT to_regclass('notes') IS NOT NULL"));
        Assert.False(await database.ScalarAsync<bool>("SELECT to_regclass('half_done') IS NOT NULL"));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task MigrateAsync_FileFixedAfterFailure_AppliesIt()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        await Assert.ThrowsAsync<MigrationException>(() =>
            database.CreateMigrator([CreateNotes, Script("0002_first_note.sql", "INSERT INTO notes VALUES (1, NULL);")]).MigrateAsync());

        var report = await database.CreateMigrator([CreateNotes, InsertNote]).MigrateAsync();

        Assert.Equal(["0002_first_note.sql"], report.AppliedNow);
    }

    [Fact]
    public async Task MigrateAsync_DatabaseHasUnknownVersion_Throws()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        await database.CreateMigrator([CreateNotes, InsertNote]).MigrateAsync();

        var ex = await Assert.ThrowsAsync<MigrationException>(() => database.CreateMigrator([CreateNotes]).MigrateAsync());

        Assert.Equal("0002_first_note.sql", ex.FileName);
    }

    [Fact]
    public async Task CheckAsync_PendingFiles_ReportsWithoutApplying()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        await database.CreateMigrator([CreateNotes]).MigrateAsync();

        var report = await database.CreateMigrator([CreateNotes, InsertNote]).CheckAsync();

        Assert.False(report.IsUpToDate);
        Assert.Equal(["0002_first_note.sql"], report.Pending);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM notes"));
    }

    [Fact]
    public async Task CheckAsync_FreshDatabase_ReportsAllPendingAndCreatesNothing()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);

        var report = await database.CreateMigrator([CreateNotes, InsertNote]).CheckAsync();

        Assert.Equal(["0001_notes.sql", "0002_first_note.sql"], report.Pending);
        Assert.False(await database.ScalarAsync<bool>("SELECT to_regclass('schema_migrations') IS NOT NULL"));
    }

    [Fact]
    public async Task CheckAsync_AppliedFileEdited_Throws()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        await database.CreateMigrator([CreateNotes]).MigrateAsync();

        var ex = await Assert.ThrowsAsync<MigrationException>(() =>
            database.CreateMigrator([Script("0001_notes.sql", "CREATE TABLE notes (id bigint);")]).CheckAsync());

        Assert.Equal("0001_notes.sql", ex.FileName);
    }

    [Fact]
    public async Task CheckAsync_Migrated_IsUpToDate()
    {
        await using var database = await PostgresDatabase.CreateAsync();

        var report = await database.CreateMigrator().CheckAsync();

        Assert.True(report.IsUpToDate);
    }
}
