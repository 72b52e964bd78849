using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Platform.Billing.Tests.Domain;
using Platform.Data.Datasets;
using Platform.Domain.Common;
using Platform.Domain.Datasets;
using Platform.Testing;

namespace Platform.Billing.Tests.Plans;

/// <summary>A plan's dataset and storage limits, applied by the real upload command through billing's IDatasetQuota.</summary>
public sealed class DatasetLimitsTests : IAsyncLifetime
{
    private readonly BillingHost _host = new();
    private readonly string _storage = Directory.CreateTempSubdirectory("platform-dataset-limits-").FullName;

    public Task InitializeAsync()
    {
        _host.Settings["Storage:Root"] = _storage;
        return _host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_storage, recursive: true);
    }

    /// <summary>A CSV of about <paramref name="bytes"/> bytes with two labels.</summary>
    private static byte[] Csv(int bytes)
    {
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; csv.Length < bytes; i++)
            csv.Append($"review number {i} of the film,{(i % 2 == 0 ? "pos" : "neg")}\n");
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    private Task<Result<Dataset>> UploadAsync(TestTenant owner, byte[] content) =>
        _host.AsAsync(owner, sp => sp.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(
            new CreateDatasetRequest("Reviews", DatasetKind.Text, new MemoryStream(content))));

    [Fact]
    public async Task Upload_OverThePlansDatasetLimit_IsRefusedNamingThePlan()
    {
        var (tenant, owner) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter() with { MaxDatasetBytes = 2048, MaxStorageBytes = 0 });

        var small = await UploadAsync(owner, Csv(1500));
        var large = await UploadAsync(owner, Csv(3000));

        Assert.True(small.IsSuccess, small.Error);
        Assert.Equal(ResultStatus.BadRequest, large.Status);
        Assert.Equal("The file is larger than the 2 KB dataset limit of the Starter plan.", large.Error);
        Assert.Equal(1L, await _host.Database.ScalarAsync<long>("SELECT count(*) FROM datasets"));
    }

    [Fact]
    public async Task Upload_PastThePlansStorage_IsRefusedAndStoresNothing()
    {
        // Counted as stored (issue 11, finding 7): each file in whole 4 KiB blocks, so the 3 KB upload takes
        // two blocks (its normalised CSV and its split) and the 6 KB one three.
        var (tenant, owner) = await Seed.TenantAsync(_host.Database);
        await _host.AssignAsync(tenant.Id, TestPlans.Starter() with { MaxDatasetBytes = 0, MaxStorageBytes = 12 * 1024 });
        var (_, neighbour) = await Seed.TenantAsync(_host.Database);
        Assert.True((await UploadAsync(neighbour, Csv(10_000))).IsSuccess, "another tenant's datasets do not count");

        var first = await UploadAsync(owner, Csv(3000));
        var filesBefore = Directory.EnumerateFiles(_storage, "*", SearchOption.AllDirectories).Count();
        var second = await UploadAsync(owner, Csv(6000));

        Assert.True(first.IsSuccess, first.Error);
        Assert.Equal(ResultStatus.Conflict, second.Status);
        Assert.StartsWith("This upload takes 12 KB on disk (2 files), which would bring the organisation's datasets to 20 KB; the Starter plan includes 12 KB.", second.Error);
        Assert.Equal(filesBefore, Directory.EnumerateFiles(_storage, "*", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public async Task Upload_TenantWithoutPlan_OnlyThePlatformLimitApplies()
    {
        var (_, owner) = await Seed.TenantAsync(_host.Database);

        var uploaded = await UploadAsync(owner, Csv(20_000));

        Assert.True(uploaded.IsSuccess, uploaded.Error);
    }
}
