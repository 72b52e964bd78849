using Npgsql;
using Platform.Jobs.Portal;
using Platform.Testing;

namespace Platform.Jobs.Tests;

/// <summary>The jobs read services the portal's dashboard and the API use: scoped to the current tenant, newest first.</summary>
public sealed class JobSummaryAndApiQueryTests : IAsyncLifetime
{
    private QueueDatabase _db = null!;

    public async Task InitializeAsync() => _db = await QueueDatabase.CreateAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Counts_JobsOfBothTenants_CountsOnlyTheCurrentTenants()
    {
        await _db.EnqueueAsync(_db.TenantA, "queued");
        var model = await FinishedTrainingAsync(_db.TenantA, """{"modelFolder": "models/a"}""");
        await FinishedTrainingAsync(_db.TenantA, """{"accuracy": 0.9}""");
        await _db.EnqueueAsync(_db.TenantB, "theirs");
        await FinishedTrainingAsync(_db.TenantB, """{"modelFolder": "models/b"}""");

        var counts = await new JobSummaryQuery(_db.Database.DataSource, new TestTenant(_db.TenantA)).CountsAsync();
        var models = await new JobSummaryQuery(_db.Database.DataSource, new TestTenant(_db.TenantA)).RecentModelsAsync(5);

        Assert.Equal(new JobCounts(Jobs: 3, ActiveJobs: 1, SucceededJobs: 2, Models: 1), counts);
        Assert.Equal([model], models.Select(j => j.Id));
        Assert.Equal(new JobCounts(0, 0, 0, 0), await new JobSummaryQuery(_db.Database.DataSource, new TestTenant()).CountsAsync());
    }

    [Fact]
    public async Task RecentJobs_MoreThanTheCount_NewestFirstAndNoOtherTenants()
    {
        var mine = new List<Guid>();
        for (var i = 0; i < 4; i++)
            mine.Add(await _db.EnqueueAsync(_db.TenantA, $"job {i}"));
        await _db.EnqueueAsync(_db.TenantB, "theirs, newest");

        var recent = await new JobSummaryQuery(_db.Database.DataSource, new TestTenant(_db.TenantA)).RecentJobsAsync(3);

        Assert.Equal([mine[3], mine[2], mine[1]], recent.Select(j => j.Id));
    }

    [Fact]
    public async Task ApiList_CursorOfAnotherTenantsJob_IsNullAndTheirJobsInvisible()
    {
        var first = await _db.EnqueueAsync(_db.TenantA, "first");
        var second = await _db.EnqueueAsync(_db.TenantA, "second");
        var theirs = await _db.EnqueueAsync(_db.TenantB, "theirs");
        var query = new ApiJobQuery(_db.Database.DataSource, new TestTenant(_db.TenantA));
        var none = new JobFilter(null, null, null, null, null);

        var page = await query.ListAsync(none, null, 10, CancellationToken.None);
        var after = await query.ListAsync(none, second, 10, CancellationToken.None);

        Assert.Equal([second, first], page!.Select(r => r.Job.Id));
        // Both queued: first is next (1), second waits behind it (2).
        Assert.Equal([2, 1], page!.Select(r => r.QueuePosition));
        Assert.Equal([first], after!.Select(r => r.Job.Id));
        Assert.Null(await query.ListAsync(none, theirs, 10, CancellationToken.None));
        Assert.Null(await query.GetAsync(theirs, CancellationToken.None));
        Assert.Equal(first, (await query.GetAsync(first, CancellationToken.None))!.Job.Id);
    }

    private async Task<Guid> FinishedTrainingAsync(Guid tenant, string result)
    {
        var id = Guid.CreateVersion7();
        await using var command = _db.Database.DataSource.CreateCommand(
            "INSERT INTO jobs (id, tenant_id, kind, name, state, result, finished_at) VALUES ($1, $2, 'train', 'trained', 'Succeeded', $3::jsonb, now())");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = result });
        await command.ExecuteNonQueryAsync();
        return id;
    }
}
