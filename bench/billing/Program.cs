using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Billing;
using Platform.Billing.Finance;
using Platform.Billing.Invoices;
using Platform.Billing.Plans;
using Platform.Billing.Usage;
using Platform.Data;
using Platform.Domain.Billing;
using Platform.Domain.Usage;

// Ledger ingest, aggregation and period close over SEGMENTS segments (default 1,000,000) spread over
// TENANTS tenants (default 100), all ending in June 2026. Usage: BillingBench <connection string>.
var connectionString = args[0];
var segmentCount = int.Parse(Environment.GetEnvironmentVariable("SEGMENTS") ?? "1000000", CultureInfo.InvariantCulture);
var tenantCount = int.Parse(Environment.GetEnvironmentVariable("TENANTS") ?? "100", CultureInfo.InvariantCulture);
var june = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
var clock = new BenchClock { Now = june };

var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["ConnectionStrings:Platform"] = connectionString,
    ["Storage:Root"] = Path.GetTempPath(),
    ["Data:Migrations"] = "Apply",
});
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton<TimeProvider>(clock);
builder.AddPlatformData();
builder.AddBilling();
using var host = builder.Build();
await host.StartAsync();
var services = host.Services;
var dataSource = services.GetRequiredService<NpgsqlDataSource>();

// Tenants on one plan from 1 June.
var plan = new Plan(Guid.NewGuid(), "bench", "Bench", "USD", 100m, 100m, 200m, 2.50m, 0.10m, 4, 1L << 30, 1L << 34, CapMode.Soft);
await using (var scope = services.CreateAsyncScope())
    await scope.ServiceProvider.GetRequiredService<SavePlanCommand>().ExecuteAsync(plan);
var tenants = new List<Guid>();
for (var i = 0; i < tenantCount; i++)
{
    var id = Guid.NewGuid();
    tenants.Add(id);
    await using (var insert = dataSource.CreateCommand("INSERT INTO tenants (id, name, slug, status, created_at) VALUES ($1, $2, $3, 'Active', now())"))
    {
        insert.Parameters.Add(new NpgsqlParameter { Value = id });
        insert.Parameters.Add(new NpgsqlParameter { Value = $"Bench {i}" });
        insert.Parameters.Add(new NpgsqlParameter { Value = $"bench-{i}" });
        await insert.ExecuteNonQueryAsync();
    }
    await using var scope = services.CreateAsyncScope();
    await scope.ServiceProvider.GetRequiredService<AssignPlanCommand>().ExecuteAsync(id, plan.Id);
}

IEnumerable<List<UsageSegment>> Batches()
{
    var random = new Random(42);
    var batch = new List<UsageSegment>(100_000);
    // Seeded, job ids included, so a second pass yields the very same segments (the replay case).
    var bytes = new byte[16];
    var job = Guid.Empty;
    for (var i = 0; i < segmentCount; i++)
    {
        if (i % 10 == 0)
        {
            random.NextBytes(bytes);
            job = new Guid(bytes);
        }
        var end = june.AddSeconds(60 + random.NextDouble() * (30 * 86400 - 120));
        var seconds = random.Next(1, 3600) + random.NextDouble();
        batch.Add(new UsageSegment(tenants[i % tenants.Count], job, 1, i % 10 + 1, Guid.Empty, random.Next(5) == 0 ? "cpu" : "cuda",
            end.AddSeconds(-seconds), end));
        if (batch.Count == batch.Capacity)
        {
            yield return batch;
            batch = new List<UsageSegment>(100_000);
        }
    }
    if (batch.Count > 0)
        yield return batch;
}

async Task<(long Rows, TimeSpan Time)> IngestAllAsync()
{
    long rows = 0;
    var watch = Stopwatch.StartNew();
    foreach (var batch in Batches())
        rows += await LedgerWriter.InsertAsync(dataSource, batch, CancellationToken.None);
    return (rows, watch.Elapsed);
}

Console.WriteLine($"segments {segmentCount:N0}, tenants {tenantCount}");
var allocatedBefore = GC.GetTotalAllocatedBytes(true);
var (inserted, ingestTime) = await IngestAllAsync();
Report("ingest (new rows)", ingestTime, $"{inserted:N0} rows, {inserted / ingestTime.TotalSeconds:N0} rows/s");
var (replayed, replayTime) = await IngestAllAsync();
Report("ingest replay (all duplicates)", replayTime, $"{replayed:N0} new rows, {segmentCount / replayTime.TotalSeconds:N0} rows/s");
Console.WriteLine($"  managed allocations during ingest: {(GC.GetTotalAllocatedBytes(true) - allocatedBefore) / 1048576.0:N0} MB");
await using (var analyze = dataSource.CreateCommand("VACUUM ANALYZE usage_ledger"))
    await analyze.ExecuteNonQueryAsync();

await using (var scope = services.CreateAsyncScope())
{
    var finance = scope.ServiceProvider.GetRequiredService<FinanceUsageQueries>();
    var watch = Stopwatch.StartNew();
    var byTenant = await finance.ByTenantAsync(june, june.AddMonths(1));
    Report("aggregate by tenant and device (whole month)", watch.Elapsed, $"{byTenant.Count} groups, {byTenant.Sum(u => u.Segments):N0} segments");
    watch.Restart();
    var jobs = await finance.ByJobAsync(tenants[0], june, june.AddMonths(1));
    Report("drill-down to jobs (one tenant)", watch.Elapsed, $"{jobs.Count:N0} job groups");
}

clock.Now = june.AddDays(15);
await using (var scope = services.CreateAsyncScope())
{
    scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(tenants[0], null);
    var quota = scope.ServiceProvider.GetRequiredService<CheckLaunchQuotaQuery>();
    await quota.ExecuteAsync("cuda", 1);
    var watch = Stopwatch.StartNew();
    const int checks = 100;
    for (var i = 0; i < checks; i++)
        await quota.ExecuteAsync("cuda", 1);
    Report("launch quota check (one tenant, mean of 100)", watch.Elapsed / checks, "");

    // The check's usage sum as it was before the hourly totals (UsageToDate at e2a253d, decision 0015), on the same data.
    const string ledgerScanSql = """
        SELECT coalesce((SELECT sum(l.seconds) FROM usage_ledger l
                         WHERE l.tenant_id = $1 AND l.device_kind = 'cuda' AND l.ended_at >= $2 AND l.ended_at < $3), 0)
             + coalesce((SELECT sum(greatest(0, floor(extract(epoch FROM
                             (CASE WHEN s.closed THEN s.ended_at ELSE greatest(s.ended_at, $4) END) - s.started_at)))::bigint)
                         FROM usage_segments s
                         WHERE s.tenant_id = $1 AND s.device_kind = 'cuda'
                           AND ((NOT s.closed AND $4 >= $2 AND $4 < $3) OR (s.closed AND s.ended_at >= $2 AND s.ended_at < $3))
                           AND NOT EXISTS (SELECT 1 FROM usage_ledger l
                               WHERE l.idempotency_key = replace(s.job_id::text, '-', '') || ':' || s.attempt || ':' || s.segment)), 0)
        """;
    var before = await MeanAsync(() => ScalarAsync(ledgerScanSql, tenants[0], june, june.AddMonths(1), clock.Now), 20);
    await using var connection = await dataSource.OpenConnectionAsync();
    var after = await MeanAsync(() => UsageToDate.SecondsAsync(connection, tenants[0], "cuda", june, june.AddMonths(1), clock.Now, CancellationToken.None));
    var (scanned, summed) = (await ScalarAsync(ledgerScanSql, tenants[0], june, june.AddMonths(1), clock.Now),
        await UsageToDate.SecondsAsync(connection, tenants[0], "cuda", june, june.AddMonths(1), clock.Now, CancellationToken.None));
    if (scanned != summed)
        throw new InvalidOperationException($"The totals disagree with the ledger: {summed} s against {scanned} s.");
    Report("  usage sum by ledger scan (before 0015, mean of 20)", before, $"{scanned:N0} GPU seconds");
    Report("  usage sum by hourly totals (after 0015)", after, "the same seconds");
}

clock.Now = june.AddMonths(1).AddHours(1);
var allocatedBeforeClose = GC.GetTotalAllocatedBytes(true);
var closeWatch = Stopwatch.StartNew();
decimal total = 0;
var closeTimes = new List<double>();
foreach (var tenant in tenants)
{
    var one = Stopwatch.StartNew();
    await using var scope = services.CreateAsyncScope();
    var result = await scope.ServiceProvider.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant, june);
    var invoice = await scope.ServiceProvider.GetRequiredService<InvoiceQueries>().GetForFinanceAsync(result.Value.InvoiceId);
    total += invoice.Value.Total;
    closeTimes.Add(one.Elapsed.TotalMilliseconds);
}
closeTimes.Sort();
Report($"period close, {tenantCount} tenants sequentially", closeWatch.Elapsed,
    $"per tenant median {closeTimes[closeTimes.Count / 2]:N1} ms, max {closeTimes[^1]:N1} ms; invoiced {total:N2} USD");
Console.WriteLine($"  managed allocations during close: {(GC.GetTotalAllocatedBytes(true) - allocatedBeforeClose) / 1048576.0:N1} MB");

// Every tenant closed again by 4 concurrent closers: all find the existing invoice.
closeWatch.Restart();
var again = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
{
    var created = 0;
    foreach (var tenant in tenants)
    {
        await using var scope = services.CreateAsyncScope();
        created += (await scope.ServiceProvider.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(tenant, june)).Value.Created ? 1 : 0;
    }
    return created;
})));
Report("re-close by 4 concurrent closers", closeWatch.Elapsed, $"{again.Sum()} new invoices");

await using (var size = dataSource.CreateCommand(
    "SELECT pg_total_relation_size('usage_ledger'), (SELECT count(*) FROM usage_ledger), (SELECT count(*) FROM invoices)"))
await using (var reader = await size.ExecuteReaderAsync())
{
    await reader.ReadAsync();
    Console.WriteLine($"ledger table + indexes: {reader.GetInt64(0) / 1048576.0:N0} MB for {reader.GetInt64(1):N0} rows; invoices: {reader.GetInt64(2)}");
}
await using (var size = dataSource.CreateCommand("SELECT pg_total_relation_size('usage_hourly_totals'), (SELECT count(*) FROM usage_hourly_totals)"))
await using (var reader = await size.ExecuteReaderAsync())
{
    await reader.ReadAsync();
    Console.WriteLine($"hourly totals table + index: {reader.GetInt64(0) / 1048576.0:N1} MB for {reader.GetInt64(1):N0} rows");
}

// Mid-period the ledger is empty: ingestion runs at period close, so the check also reads usage_segments.
// The same segments as closed usage_segments rows, first with the ledger holding them all, then with none.
await using (var copy = dataSource.CreateCommand("""
    INSERT INTO jobs (id, tenant_id, kind, name, state) SELECT DISTINCT ON (job_id) job_id, tenant_id, 'bench', 'bench', 'Succeeded' FROM usage_ledger;
    INSERT INTO usage_segments (job_id, attempt, segment, tenant_id, worker_id, device_kind, started_at, ended_at, closed)
    SELECT job_id, attempt, segment, tenant_id, worker_id, device_kind, started_at, ended_at, true FROM usage_ledger;
    ANALYZE jobs; ANALYZE usage_segments;
    """))
{
    copy.CommandTimeout = 0;
    await copy.ExecuteNonQueryAsync();
}
clock.Now = june.AddDays(15);
await using (var scope = services.CreateAsyncScope())
{
    scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(tenants[0], null);
    var quota = scope.ServiceProvider.GetRequiredService<CheckLaunchQuotaQuery>();
    Report("quota check, segments also in usage_segments, all ingested", await MeanAsync(() => quota.ExecuteAsync("cuda", 1), 10), "");
    await using (var truncate = dataSource.CreateCommand("TRUNCATE usage_ledger, usage_hourly_totals"))
        await truncate.ExecuteNonQueryAsync();
    Report("quota check, segments in usage_segments, none ingested", await MeanAsync(() => quota.ExecuteAsync("cuda", 1), 10), "");
}

Console.WriteLine($"process peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MB");
await host.StopAsync();

async Task<TimeSpan> MeanAsync<T>(Func<Task<T>> action, int times = 100)
{
    await action();
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < times; i++)
        await action();
    return watch.Elapsed / times;
}

async Task<long> ScalarAsync(string sql, params object[] values)
{
    await using var command = dataSource.CreateCommand(sql);
    foreach (var value in values)
        command.Parameters.Add(new NpgsqlParameter { Value = value is DateTimeOffset instant ? instant.UtcDateTime : value });
    return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
}

static void Report(string what, TimeSpan time, string detail) =>
    Console.WriteLine($"{what,-48} {time.TotalMilliseconds,10:N1} ms  {detail}");

internal sealed class BenchClock : TimeProvider
{
    public DateTimeOffset Now { get; set; }

    public override DateTimeOffset GetUtcNow() => Now;
}
