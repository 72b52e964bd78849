using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Artifacts;
using Platform.Data.Datasets;
using Platform.Domain.Common;
using Platform.Domain.Datasets;
using Platform.Testing;

namespace Platform.Data.Tests.Datasets;

public class CreateTabularDatasetTests(DataServices services) : IClassFixture<DataServices>
{
    private static Stream Bytes(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));

    private async Task<Result<Dataset>> CreateAsync(TestTenant tenant, CreateDatasetRequest request)
    {
        await using var scope = services.ScopeFor(tenant);
        return await scope.ServiceProvider.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(request);
    }

    /// <summary>x rises with the row, y falls, z is a category; the target is "hi" for the upper half. Row 7 has no target.</summary>
    private static string Table(int rows)
    {
        var csv = new StringBuilder("id,x,y,z,target\n");
        for (var i = 0; i < rows; i++)
            csv.Append(CultureInfo.InvariantCulture, $"r{i},{(i == 3 ? "NA" : i)},{100 - 2 * i},{(i % 2 == 0 ? "even" : "odd")},{(i == 7 ? "" : i >= rows / 2 ? "hi" : "lo")}\n");
        return csv.ToString();
    }

    [Fact]
    public async Task ExecuteAsync_Table_ProfilesColumnsDropsExcludedAndSkipsRowsWithoutTarget()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);

        var result = await CreateAsync(owner, new CreateDatasetRequest("table", DatasetKind.Tabular, Bytes(Table(40)), LabelColumn: "target",
            ExcludedColumns: ["id"]));

        Assert.True(result.IsSuccess, result.Error);
        var dataset = result.Value;
        Assert.Equal(39, dataset.RowCount);
        Assert.Equal("target", dataset.LabelColumn);
        Assert.Contains(dataset.Warnings, w => w.StartsWith("1 row without a target value skipped (line 9)", StringComparison.Ordinal));
        var table = dataset.Stats.Table!;
        Assert.Equal(["id"], table.Excluded);
        Assert.Equal(["x", "y", "z"], table.Columns.Select(c => c.Name));
        Assert.Equal(("numeric", 1, 0.0, 39.0), (table.Columns[0].Type, table.Columns[0].Missing, table.Columns[0].Min!.Value, table.Columns[0].Max!.Value));
        Assert.Equal("categorical", table.Columns[2].Type);
        Assert.Equal(["even", "odd"], table.Columns[2].TopValues.Order());
        // x and y move in opposite directions exactly; the target ("hi" = 1, second in sorted order) rises with x.
        Assert.Equal(["x", "y", "target = lo"], table.CorrelationColumns);
        Assert.Equal(-1.0, table.Correlation[0][1]!.Value, 4);
        Assert.True(table.Correlation[0][2] < -0.8, $"x vs target=lo: {table.Correlation[0][2]}");
        // The excluded column is not stored.
        await using var stream = await services.Services.GetRequiredService<IArtifactStore>().OpenReadAsync(tenant.Id, dataset.ArtifactPath);
        var stored = await new StreamReader(stream).ReadToEndAsync();
        Assert.StartsWith("x,y,z,target\n0,100,even,lo\n", stored);
        Assert.DoesNotContain("r1", stored);
    }

    [Theory]
    [InlineData(null, null, "Choose the target column")]
    [InlineData("outcome", null, "no column 'outcome' to use as the target column")]
    [InlineData("target", "target", "The target column cannot also be excluded")]
    [InlineData("target", "nope", "no column 'nope' to use as the excluded column")]
    [InlineData("target", "x,y,z,id", "No input columns are left")]
    public async Task ExecuteAsync_BadColumns_ClearErrorAndNothingStored(string? target, string? excluded, string message)
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);

        var result = await CreateAsync(owner, new CreateDatasetRequest("bad", DatasetKind.Tabular, Bytes(Table(20)), LabelColumn: target,
            ExcludedColumns: CreateDatasetRequest.ParseColumnList(excluded)));

        Assert.Equal(ResultStatus.BadRequest, result.Status);
        Assert.Contains(message, result.Error);
        await using var db = services.Database.CreateDbContext(owner.TenantId);
        Assert.Empty(await db.Datasets.ToListAsync());
    }

    [Fact]
    public async Task ExecuteAsync_TargetWithOneValue_RefusedLikeAnyDataset()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);
        var csv = "a,t\n" + string.Concat(Enumerable.Range(0, 10).Select(i => $"{i},same\n"));

        var result = await CreateAsync(owner, new CreateDatasetRequest("one", DatasetKind.Tabular, Bytes(csv), LabelColumn: "t"));

        Assert.Equal(ResultStatus.BadRequest, result.Status);
        Assert.Contains("at least 2 classes", result.Error);
    }

    [Fact]
    public async Task ExecuteAsync_ManyConstantColumns_OneWarningNamingTheFirstFew()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);
        var constant = Enumerable.Range(0, 7).Select(i => $"k{i}").ToList();
        var csv = new StringBuilder($"x,{string.Join(",", constant)},t\n");
        for (var i = 0; i < 30; i++)
            csv.Append(CultureInfo.InvariantCulture, $"{i},{string.Join(",", constant.Select(_ => "1"))},{(i % 2 == 0 ? "a" : "b")}\n");

        var result = await CreateAsync(owner, new CreateDatasetRequest("flat", DatasetKind.Tabular, Bytes(csv.ToString()), LabelColumn: "t"));

        Assert.True(result.IsSuccess, result.Error);
        await using var db = services.Database.CreateDbContext(owner.TenantId);
        var stored = await db.Datasets.SingleAsync(d => d.Id == result.Value.Id);
        Assert.Equal(["7 columns hold a single value, nothing to learn from: 'k0', 'k1', 'k2', 'k3', 'k4', … (and 2 more)."], stored.Warnings);
    }
}
