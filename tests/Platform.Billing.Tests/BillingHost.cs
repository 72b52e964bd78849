using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Billing.Plans;
using Platform.Data;
using Platform.Jobs;
using Platform.Domain.Billing;
using Platform.Domain.Usage;
using Platform.Testing;

namespace Platform.Billing.Tests;

/// <summary>
/// The real container (AddPlatformData + AddBilling) on a fresh migrated database. Usage comes from a
/// <see cref="ListUsageSource"/>: the job system's source is a plain SELECT, and billing's behaviour
/// under replays and reordering is what these tests pin down, so they control the segments.
/// </summary>
public sealed class BillingHost : IAsyncLifetime
{
    private IHost _host = null!;

    public PostgresDatabase Database { get; private set; } = null!;

    public ListUsageSource Usage { get; } = new();

    /// <summary>Starts on 1 June 2026, the first day of the tests' first period.</summary>
    public TestClock Clock { get; } = new(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));

    public IServiceProvider Services => _host.Services;

    public Dictionary<string, string?> Settings { get; } = new();

    public async Task InitializeAsync()
    {
        Database = await PostgresDatabase.CreateAsync();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = Database.ConnectionString,
            ["Storage:Root"] = Path.GetTempPath(),
            ["Data:Migrations"] = "Check",
        });
        builder.Configuration.AddInMemoryCollection(Settings);
        builder.Services.AddSingleton<IUsageSource>(Usage);
        builder.Services.AddSingleton<TimeProvider>(Clock);
        builder.AddPlatformData();
        builder.Services.AddSingleton<Platform.Data.Datasets.Ingestion.IImageVerifier, Platform.Jobs.Training.DecodingImageVerifier>();
        builder.AddBilling();
        // Erasure runs billing's cleanups (the Stripe customer).
        builder.AddTenantPrivacy();
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await Database.DisposeAsync();
    }

    /// <summary>Runs an action in a request scope acting as <paramref name="tenant"/> (null: platform-wide).</summary>
    public async Task<T> AsAsync<T>(TestTenant? tenant, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(tenant?.TenantId, tenant?.UserId);
        return await action(scope.ServiceProvider);
    }

    public Task<T> RunAsync<T>(Func<IServiceProvider, Task<T>> action) => AsAsync(null, action);

    /// <summary>Saves <paramref name="plan"/> and puts the tenant on it now (per <see cref="Clock"/>).</summary>
    public async Task AssignAsync(Guid tenantId, Plan plan)
    {
        var saved = await RunAsync(sp => sp.GetRequiredService<SavePlanCommand>().ExecuteAsync(plan));
        Assert.True(saved.IsSuccess, saved.Error);
        var assigned = await RunAsync(sp => sp.GetRequiredService<AssignPlanCommand>().ExecuteAsync(tenantId, plan.Id));
        Assert.True(assigned.IsSuccess, assigned.Error);
    }
}

/// <summary>An IUsageSource over a list the test fills, honouring the interface's window and tenant filter.</summary>
public sealed class ListUsageSource : IUsageSource
{
    public List<UsageSegment> Segments { get; } = [];

    public Task<IReadOnlyList<UsageSegment>> ClosedSegmentsAsync(DateTimeOffset from, DateTimeOffset to, Guid? tenantId = null,
        CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<UsageSegment>>(Segments
            .Where(s => s.EndedAt >= from && s.EndedAt < to && (tenantId is null || s.TenantId == tenantId))
            .ToList());
}
