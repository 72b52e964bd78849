using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Usage;
using Platform.Testing;

namespace Platform.Billing.Tests.Usage;

public sealed class IngestUsageCommandTests : IAsyncLifetime
{
    private readonly BillingHost _host = new();
    private static readonly DateTimeOffset From = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = new(2026, 7, 1, 0, 0, 0, TimeSpan.Zero);

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private Task<long> IngestAsync() =>
        _host.RunAsync(sp => sp.GetRequiredService<IngestUsageCommand>().ExecuteAsync(From, To));

    private Task<long> LedgerSecondsAsync() =>
        _host.Database.ScalarAsync<long>("SELECT coalesce(sum(seconds), 0)::bigint FROM usage_ledger");

    [Fact]
    public async Task Execute_ReplayedDuplicatedAndReordered_LedgerUnchanged()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        var job = Guid.NewGuid();
        var segments = Enumerable.Range(1, 20)
            .Select(i => Segments.Make(tenant.Id, From.AddHours(i), 100 + i, i % 3 == 0 ? "cpu" : "cuda", job, 1, i))
            .ToList();
        _host.Usage.Segments.AddRange(segments);

        Assert.Equal(20, await IngestAsync());
        var seconds = await LedgerSecondsAsync();
        Assert.Equal(segments.Sum(s => 100L + s.Segment), seconds);

        // Replay, then duplicates in reverse order: nothing new, totals unchanged.
        Assert.Equal(0, await IngestAsync());
        _host.Usage.Segments.AddRange(Enumerable.Reverse(segments));
        _host.Usage.Segments.Reverse();
        Assert.Equal(0, await IngestAsync());
        Assert.Equal(seconds, await LedgerSecondsAsync());
        Assert.Equal(20L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM usage_ledger"));
    }

    [Fact]
    public async Task Execute_PartSeconds_AreDroppedPerSegment()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        // Each segment lasts 59.4 s: the ledger keeps 59 s each, never rounding the sum up to a minute.
        _host.Usage.Segments.AddRange(Enumerable.Range(1, 10).Select(i => Segments.Make(tenant.Id, From.AddHours(i), 59, segment: i)));
        await IngestAsync();
        Assert.Equal(590L, await LedgerSecondsAsync());
    }

    [Fact]
    public async Task Execute_SegmentOutsideWindow_IsLeftForItsOwnPeriod()
    {
        var (tenant, _) = await Seed.TenantAsync(_host.Database);
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, To, 60));
        _host.Usage.Segments.Add(Segments.Make(tenant.Id, To.AddSeconds(-1), 60));
        Assert.Equal(1, await IngestAsync());
    }
}
