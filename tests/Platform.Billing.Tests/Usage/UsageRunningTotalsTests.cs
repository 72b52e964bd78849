using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Billing.Usage;
using Platform.Data.Migrations;
using Platform.Testing;

namespace Platform.Billing.Tests.Usage;

/// <summary>The hourly running totals (decision 0015) always equal the sums over the ledger they summarise.</summary>
public sealed class UsageRunningTotalsTests : IAsyncLifetime
{
    private readonly BillingHost _host = new();
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private Task<long> IngestAsync() =>
        _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));

    /// <summary>Rows of totals that differ from a GROUP BY over the ledger, either way.</summary>
    private static async Task<long> MismatchesAsync(PostgresDatabase database) => await database.ScalarAsync<long>("""
        WITH ledger AS (
            SELECT tenant_id, device_kind, date_trunc('hour', ended_at, 'UTC') AS hour, sum(seconds)::bigint AS seconds, count(*) AS segments
            FROM usage_ledger GROUP BY 1, 2, 3)
        SELECT count(*) FROM ledger l FULL JOIN usage_hourly_totals t USING (tenant_id, device_kind, hour)
        WHERE l.seconds IS DISTINCT FROM t.seconds OR l.segments IS DISTINCT FROM t.segments
        """);

    /// <summary>Segments for two tenants and both device classes, several per hour, some on the hour exactly.</summary>
    private static List<Platform.Domain.Usage.UsageSegment> MakeSegments(Guid a, Guid b, int count)
    {
        var random = new Random(7);
        return Enumerable.Range(1, count)
            .Select(i => Segments.Make(i % 2 == 0 ? a : b,
                i % 10 == 0 ? June.AddHours(random.Next(0, 48)) : June.AddSeconds(random.Next(0, 48 * 3600)),
                random.Next(1, 5000), i % 3 == 0 ? "cpu" : "cuda", segment: i))
            .ToList();
    }

    [Fact]
    public async Task Ingest_SameSegmentsTwiceAndReordered_TotalsEqualLedgerSums()
    {
        var (a, _) = await Seed.TenantAsync(_host.Database);
        var (b, _) = await Seed.TenantAsync(_host.Database);
        var segments = MakeSegments(a.Id, b.Id, 400);
        _host.Usage.Segments.AddRange(segments);

        Assert.Equal(400, await IngestAsync());
        var seconds = await _host.Database.ScalarAsync<long>("SELECT sum(seconds)::bigint FROM usage_hourly_totals");

        Assert.Equal(0, await IngestAsync());
        _host.Usage.Segments.Clear();
        _host.Usage.Segments.AddRange(Enumerable.Reverse(segments));
        _host.Usage.Segments.AddRange(segments.Where((_, i) => i % 2 == 0));
        Assert.Equal(0, await IngestAsync());

        Assert.Equal(segments.Sum(s => s.Seconds), seconds);
        Assert.Equal(seconds, await _host.Database.ScalarAsync<long>("SELECT sum(seconds)::bigint FROM usage_hourly_totals"));
        Assert.Equal(400L, await _host.Database.ScalarAsync<long>("SELECT sum(segments)::bigint FROM usage_hourly_totals"));
        Assert.Equal(0L, await MismatchesAsync(_host.Database));
    }

    [Fact]
    public async Task Ingest_PartlyNewBatch_AddsOnlyTheNewRows()
    {
        var (a, _) = await Seed.TenantAsync(_host.Database);
        var (b, _) = await Seed.TenantAsync(_host.Database);
        var segments = MakeSegments(a.Id, b.Id, 300);
        _host.Usage.Segments.AddRange(segments.Take(100));
        await IngestAsync();

        // Old and new segments shuffled together: the old ones must not be counted again.
        _host.Usage.Segments.Clear();
        _host.Usage.Segments.AddRange(segments.OrderBy(s => s.IdempotencyKey, StringComparer.Ordinal));

        Assert.Equal(200, await IngestAsync());
        Assert.Equal(segments.Sum(s => s.Seconds), await _host.Database.ScalarAsync<long>("SELECT sum(seconds)::bigint FROM usage_hourly_totals"));
        Assert.Equal(0L, await MismatchesAsync(_host.Database));
    }

    [Fact]
    public async Task Ingest_ConcurrentIngestsOfTheSameSegments_CountEachOnce()
    {
        var (a, _) = await Seed.TenantAsync(_host.Database);
        var (b, _) = await Seed.TenantAsync(_host.Database);
        var segments = MakeSegments(a.Id, b.Id, 2_000);
        _host.Usage.Segments.AddRange(segments);

        var inserted = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(IngestAsync)));

        Assert.Equal(2_000, inserted.Sum());
        Assert.Equal(segments.Sum(s => s.Seconds), await _host.Database.ScalarAsync<long>("SELECT sum(seconds)::bigint FROM usage_hourly_totals"));
        Assert.Equal(0L, await MismatchesAsync(_host.Database));
    }

    [Fact]
    public async Task UsageToDate_WindowsCuttingHours_EqualsTheLedgerSum()
    {
        var (a, _) = await Seed.TenantAsync(_host.Database);
        var (b, _) = await Seed.TenantAsync(_host.Database);
        _host.Usage.Segments.AddRange(MakeSegments(a.Id, b.Id, 600));
        await IngestAsync();
        var random = new Random(11);
        // Whole hours, part hours, windows inside one hour, empty windows, and the edges of the data.
        var windows = new List<(DateTimeOffset, DateTimeOffset)>
        {
            (June, June.AddHours(48)), (June.AddHours(3), June.AddHours(4)), (June.AddMinutes(10), June.AddMinutes(50)),
            (June.AddHours(5), June.AddHours(5)), (June.AddHours(-1), June.AddHours(100)),
        };
        for (var i = 0; i < 40; i++)
        {
            var from = June.AddSeconds(random.Next(-3600, 48 * 3600)).AddTicks(random.Next(0, 10_000_000));
            windows.Add((from, from.AddSeconds(random.Next(0, 20 * 3600)).AddTicks(random.Next(0, 10_000_000))));
        }

        await using var connection = await _host.Database.DataSource.OpenConnectionAsync();
        foreach (var (from, to) in windows)
        {
            foreach (var device in new[] { "cuda", "cpu" })
            {
                var expected = await LedgerSumAsync(connection, a.Id, device, from, to);
                var actual = await UsageToDate.SecondsAsync(connection, a.Id, device, from, to, June.AddDays(40), CancellationToken.None);
                Assert.True(expected == actual, $"[{from:O}, {to:O}) {device}: ledger {expected}, with totals {actual}");
            }
        }
    }

    [Fact]
    public void WholeHours_PartHoursAtBothEnds_AreLeftToTheLedger()
    {
        var from = June.AddMinutes(90);
        Assert.Equal((June.AddHours(2), June.AddHours(5)), UsageToDate.WholeHours(from, June.AddHours(5).AddMinutes(1)));
        Assert.Equal((June.AddHours(2), June.AddHours(3)), UsageToDate.WholeHours(June.AddHours(2), June.AddHours(3)));
        // No whole hour inside: both ends collapse onto 'to', so the ledger covers the window.
        Assert.Equal((June.AddMinutes(170), June.AddMinutes(170)), UsageToDate.WholeHours(from, June.AddMinutes(170)));
    }

    [Fact]
    public async Task Migration_ExistingLedger_IsBackfilled()
    {
        await using var database = await PostgresDatabase.CreateAsync(migrate: false);
        var before = MigrationScripts.Embedded().Where(s => s.Version < 21).ToList();
        await database.CreateMigrator(before).MigrateAsync();
        var (tenant, _) = await Seed.TenantAsync(database);
        await using (var insert = database.DataSource.CreateCommand("""
            INSERT INTO usage_ledger (idempotency_key, tenant_id, job_id, attempt, segment, worker_id, device_kind, started_at, ended_at, seconds)
            SELECT 'k' || i, $1, gen_random_uuid(), 1, 1, gen_random_uuid(), CASE WHEN i % 4 = 0 THEN 'cpu' ELSE 'cuda' END,
                   $2::timestamptz + i * interval '97 seconds' - interval '30 seconds', $2::timestamptz + i * interval '97 seconds', 30 + i
            FROM generate_series(1, 500) i
            """))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = tenant.Id });
            insert.Parameters.Add(new NpgsqlParameter { Value = June.UtcDateTime });
            await insert.ExecuteNonQueryAsync();
        }

        await database.CreateMigrator().MigrateAsync();

        Assert.True(await database.ScalarAsync<long>("SELECT count(*) FROM usage_hourly_totals") > 10);
        Assert.Equal(0L, await MismatchesAsync(database));
    }

    private static async Task<long> LedgerSumAsync(NpgsqlConnection connection, Guid tenantId, string device, DateTimeOffset from,
        DateTimeOffset to)
    {
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(sum(seconds), 0)::bigint FROM usage_ledger WHERE tenant_id = $1 AND device_kind = $2 AND ended_at >= $3 AND ended_at < $4",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = device });
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
