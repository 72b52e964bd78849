using Platform.Domain.Common;
using Platform.Jobs.Limits;

namespace Platform.Jobs.Tests;

public sealed class TenantJobLimitsTests : QueueTestBase
{
    private SetTenantJobLimitsCommand Set => new(Db.Database.DataSource, new Platform.Data.Audit.AuditTrail(new Platform.Testing.TestTenant()));

    private GetTenantJobLimitsQuery Get => new(Db.Database.DataSource);

    [Fact]
    public async Task Get_NoRowYet_ShowsTheColumnDefaults()
    {
        var limits = await Get.ExecuteAsync(Db.TenantA);

        Assert.Equal(new TenantJobLimits(2, 10, 0, 0, IsDefault: true), limits);
    }

    [Theory]
    [InlineData(0, 5, "Jobs running at once must be a whole number from 1 to 10000.")]
    [InlineData(-1, 5, "Jobs running at once must be a whole number from 1 to 10000.")]
    [InlineData(2, 0, "Active jobs (queued or running) must be a whole number from 1 to 10000.")]
    [InlineData(2, 10_001, "Active jobs (queued or running) must be a whole number from 1 to 10000.")]
    [InlineData(6, 5, "Jobs running at once cannot exceed active jobs: every running job is also active.")]
    public async Task Set_OutOfRange_IsBadRequestAndWritesNothing(int maxConcurrent, int maxActive, string message)
    {
        var result = await Set.ExecuteAsync(Db.TenantA, maxConcurrent, maxActive);

        Assert.Equal(ResultStatus.BadRequest, result.Status);
        Assert.Equal(message, result.Error);
        Assert.True((await Get.ExecuteAsync(Db.TenantA)).IsDefault);
    }

    [Fact]
    public async Task Set_UnknownTenant_IsNotFound()
    {
        Assert.Equal(ResultStatus.NotFound, (await Set.ExecuteAsync(Guid.NewGuid(), 1, 1)).Status);
    }

    [Fact]
    public async Task Set_WhileJobsRun_ClaimHonoursTheNewLimitAndKeepsTheRunningCount()
    {
        Assert.True((await Set.ExecuteAsync(Db.TenantA, 1, 5)).IsSuccess);
        await Db.EnqueueAsync(Db.TenantA, "first");
        await Db.EnqueueAsync(Db.TenantA, "second");
        Assert.NotNull(await ClaimAsync());
        Assert.Null(await ClaimAsync());

        Assert.True((await Set.ExecuteAsync(Db.TenantA, 2, 5)).IsSuccess);
        var second = await ClaimAsync();

        Assert.NotNull(second);
        Assert.Equal(new TenantJobLimits(2, 5, 2, 2, IsDefault: false), await Get.ExecuteAsync(Db.TenantA));
        Assert.Equal(2, await Db.Database.ScalarAsync<int>($"SELECT running FROM tenant_job_limits WHERE tenant_id = '{Db.TenantA}'"));
        // Another tenant's limits are its own.
        Assert.True((await Get.ExecuteAsync(Db.TenantB)).IsDefault);
    }
}
