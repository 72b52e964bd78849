using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Finance;
using Platform.Billing.Usage;
using Platform.Testing;

namespace Platform.Billing.Tests.Usage;

public sealed class FinanceUsageQueriesTests : IAsyncLifetime
{
    private static readonly DateTimeOffset June = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly BillingHost _host = new();

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task ExportCsv_TenantNamedLikeAFormula_IsNeutralisedAndSumsMatchLedger()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database, "=HYPERLINK(\"x\")");
        var (other, _) = await Seed.TenantAsync(_host.Database);
        _host.Usage.Segments.AddRange(Enumerable.Range(1, 5).Select(i => Segments.Make(tenant.Id, June.AddDays(i), 100 * i, segment: i)));
        _host.Usage.Segments.Add(Segments.Make(other.Id, June.AddDays(2), 50, "cpu"));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));

        var csv = await _host.RunAsync(sp => sp.GetRequiredService<FinanceUsageQueries>().ExportCsvAsync(June, June.AddMonths(1), tenant.Id));
        var rows = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, rows.Length);
        Assert.All(rows.Skip(1), r => Assert.Contains(",\"'=HYPERLINK(\"\"x\"\")\",", r));
        Assert.Equal(1500L, rows.Skip(1).Sum(r => long.Parse(r.Split(',')[10])));

        var byTenant = await _host.RunAsync(sp => sp.GetRequiredService<FinanceUsageQueries>().ByTenantAsync(June, June.AddMonths(1)));
        Assert.Equal([(tenant.Id, "cuda", 1500L, 5L), (other.Id, "cpu", 50L, 1L)],
            byTenant.Select(u => (u.TenantId, u.DeviceKind, u.Seconds, u.Segments)).OrderByDescending(u => u.Item3));
    }

    [Fact]
    public async Task ByJob_PagedByCursor_EveryJobOnceLatestFirstAndTotalsOverAllPages()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        var (other, _) = await Seed.TenantAsync(_host.Database);
        // Seven jobs ending a day apart, one of them on both device classes, and another tenant's job.
        var shared = Guid.NewGuid();
        _host.Usage.Segments.AddRange(Enumerable.Range(1, 7).Select(i => Segments.Make(tenant.Id, June.AddDays(i), 10 * i, job: i == 4 ? shared : null)));
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, June.AddDays(4), 5, "cpu", job: shared, segment: 2));
        _host.Usage.Segments.Add(Segments.Make(other.Id, June.AddDays(3), 33));
        await _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(June, June.AddMonths(1)));

        var rows = new List<JobUsage>();
        JobUsageCursor? after = null;
        var pages = 0;
        while (true)
        {
            var page = await _host.RunAsync(sp => sp.GetRequiredService<FinanceUsageQueries>().ByJobAsync(tenant.Id, June, June.AddMonths(1), after, limit: 3));
            rows.AddRange(page);
            pages++;
            if (page.Count < 3)
                break;
            // The cursor survives the query string.
            Assert.True(JobUsageCursor.TryParse(new JobUsageCursor(page[^1].LastEndedAt, page[^1].JobId, page[^1].DeviceKind).ToString(), out after));
        }
        Assert.Equal(3, pages);
        Assert.Equal(8, rows.Count);
        Assert.Equal(8, rows.Select(r => (r.JobId, r.DeviceKind)).Distinct().Count());
        Assert.Equal(rows.OrderByDescending(r => r.LastEndedAt).Select(r => r.LastEndedAt), rows.Select(r => r.LastEndedAt));
        Assert.DoesNotContain(rows, r => r.Seconds == 33);

        var totals = await _host.RunAsync(sp => sp.GetRequiredService<FinanceUsageQueries>().TotalsAsync(tenant.Id, June, June.AddMonths(1)));
        Assert.Equal(new TenantUsageTotals(280, 5, 7), totals);
        Assert.False(JobUsageCursor.TryParse("12_not-a-guid_cuda", out _));
    }
}
