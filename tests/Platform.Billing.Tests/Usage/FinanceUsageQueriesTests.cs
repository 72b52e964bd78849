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
        Assert.Equal(1500L, rows.Skip(1).Sum(r => long.Parse(r.Split(',')[^2])));

        var byTenant = await _host.RunAsync(sp => sp.GetRequiredService<FinanceUsageQueries>().ByTenantAsync(June, June.AddMonths(1)));
        Assert.Equal([(tenant.Id, "cuda", 1500L, 5L), (other.Id, "cpu", 50L, 1L)],
            byTenant.Select(u => (u.TenantId, u.DeviceKind, u.Seconds, u.Segments)).OrderByDescending(u => u.Item3));
    }
}
