using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Artifacts;
using Platform.Data.Datasets;
using Platform.Domain.Common;
using Platform.Domain.Datasets;
using Platform.Testing;

namespace Platform.Data.Tests.Datasets;

public class DatasetQueriesTests(DataServices services) : IClassFixture<DataServices>
{
    private const string Csv = "text,label\nfine,pos\ngreat,pos\nbad,neg\nawful,neg\n";

    private async Task<Dataset> CreateAsync(TestTenant tenant, string name, DatasetKind kind = DatasetKind.Text, byte[]? content = null)
    {
        await using var scope = services.ScopeFor(tenant);
        var result = await scope.ServiceProvider.GetRequiredService<CreateDatasetCommand>()
            .ExecuteAsync(new CreateDatasetRequest(name, kind, new MemoryStream(content ?? Encoding.UTF8.GetBytes(Csv))));
        return result.Value;
    }

    private async Task<T> RunAsync<T>(TestTenant tenant, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = services.ScopeFor(tenant);
        return await action(scope.ServiceProvider);
    }

    [Fact]
    public async Task ListDatasetsQuery_OtherTenant_Invisible()
    {
        var (_, ownerA) = await Seed.TenantAsync(services.Database);
        var (_, ownerB) = await Seed.TenantAsync(services.Database);
        var mine = await CreateAsync(ownerA, "Mine");
        await CreateAsync(ownerB, "Theirs");

        var listed = await RunAsync(ownerA, sp => sp.GetRequiredService<ListDatasetsQuery>().ExecuteAsync());

        var only = Assert.Single(listed);
        Assert.Equal((mine.Id, "Mine", 4, 2), (only.Id, only.Name, only.RowCount, only.ClassCount));
    }

    [Fact]
    public async Task ListDatasetsQuery_NoTenant_ReturnsNothing()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);
        await CreateAsync(owner, "Mine");

        Assert.Empty(await RunAsync(new TestTenant(), sp => sp.GetRequiredService<ListDatasetsQuery>().ExecuteAsync()));
    }

    [Fact]
    public async Task GetDatasetQuery_OtherTenantsId_ReturnsNotFound()
    {
        var (_, ownerA) = await Seed.TenantAsync(services.Database);
        var (_, ownerB) = await Seed.TenantAsync(services.Database);
        var theirs = await CreateAsync(ownerB, "Theirs");

        var result = await RunAsync(ownerA, sp => sp.GetRequiredService<GetDatasetQuery>().ExecuteAsync(theirs.Id));

        Assert.Equal(ResultStatus.NotFound, result.Status);
    }

    [Fact]
    public async Task GetDatasetQuery_Own_ReturnsProfileAndSamples()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);
        var created = await CreateAsync(owner, "Mine");

        var dataset = (await RunAsync(owner, sp => sp.GetRequiredService<GetDatasetQuery>().ExecuteAsync(created.Id))).Value;

        Assert.Equal(created.LabelCounts, dataset.LabelCounts);
        Assert.Equal(created.Samples, dataset.Samples);
        Assert.Equal(created.Stats, dataset.Stats);
        Assert.Contains(dataset.Warnings, w => w.StartsWith("2 classes have fewer than 10 examples", StringComparison.Ordinal) && w.Contains("'neg' (2)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DeleteDatasetCommand_Own_RemovesRowAndFiles()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);
        var dataset = await CreateAsync(owner, "Pets", DatasetKind.Image, TestZip.Images(2, "cat", "dog").ToArray());
        var store = services.Services.GetRequiredService<IArtifactStore>();

        var result = await RunAsync(owner, sp => sp.GetRequiredService<DeleteDatasetCommand>().ExecuteAsync(dataset.Id));

        Assert.True(result.IsSuccess, result.Error);
        Assert.Equal(ResultStatus.NotFound, (await RunAsync(owner, sp => sp.GetRequiredService<GetDatasetQuery>().ExecuteAsync(dataset.Id))).Status);
        Assert.False(await store.ExistsAsync(tenant.Id, dataset.ArtifactPath));
        Assert.False(await store.ExistsAsync(tenant.Id, dataset.SplitPath));
        foreach (var sample in dataset.Samples)
        {
            Assert.False(await store.ExistsAsync(tenant.Id, sample.ImageHash!));
        }
        Assert.DoesNotContain(services.StoredFiles(), f => f.Contains(tenant.Id.ToString("N"), StringComparison.Ordinal) && !f.Contains("/.tmp/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DeleteDatasetCommand_FileSharedWithOtherVersion_KeepsIt()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);
        var v1 = await CreateAsync(owner, "Reviews");
        var v2 = await CreateAsync(owner, "Reviews");

        await RunAsync(owner, sp => sp.GetRequiredService<DeleteDatasetCommand>().ExecuteAsync(v1.Id));

        var store = services.Services.GetRequiredService<IArtifactStore>();
        Assert.True(await store.ExistsAsync(tenant.Id, v2.ArtifactPath));
        Assert.True((await RunAsync(owner, sp => sp.GetRequiredService<GetDatasetQuery>().ExecuteAsync(v2.Id))).IsSuccess);
    }

    [Fact]
    public async Task DeleteDatasetCommand_OtherTenantsDataset_ReturnsNotFoundAndKeepsIt()
    {
        var (_, ownerA) = await Seed.TenantAsync(services.Database);
        var (tenantB, ownerB) = await Seed.TenantAsync(services.Database);
        var theirs = await CreateAsync(ownerB, "Theirs");

        var result = await RunAsync(ownerA, sp => sp.GetRequiredService<DeleteDatasetCommand>().ExecuteAsync(theirs.Id));

        Assert.Equal(ResultStatus.NotFound, result.Status);
        Assert.True((await RunAsync(ownerB, sp => sp.GetRequiredService<GetDatasetQuery>().ExecuteAsync(theirs.Id))).IsSuccess);
        Assert.True(await services.Services.GetRequiredService<IArtifactStore>().ExistsAsync(tenantB.Id, theirs.ArtifactPath));
    }

    [Fact]
    public async Task OpenDatasetFileQuery_OtherTenantsDataset_ReturnsNotFound()
    {
        var (_, ownerA) = await Seed.TenantAsync(services.Database);
        var (_, ownerB) = await Seed.TenantAsync(services.Database);
        var theirs = await CreateAsync(ownerB, "Theirs");

        var result = await RunAsync(ownerA, sp => sp.GetRequiredService<OpenDatasetFileQuery>().ExecuteAsync(theirs.Id, theirs.ArtifactPath));

        Assert.Equal(ResultStatus.NotFound, result.Status);
    }

    [Fact]
    public async Task ReadCsvColumnsQuery_Header_ListsColumns()
    {
        var query = services.Services.GetRequiredService<ReadCsvColumnsQuery>();

        var columns = query.Execute(new MemoryStream(Encoding.UTF8.GetBytes("id,review,stars\n1,good,5\n")));

        Assert.Equal(["id", "review", "stars"], columns.Value);
        Assert.Equal(ResultStatus.BadRequest, query.Execute(new MemoryStream()).Status);
    }
}
