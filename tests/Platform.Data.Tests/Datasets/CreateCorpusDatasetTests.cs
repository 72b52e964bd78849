using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Artifacts;
using Platform.Data.Datasets;
using Platform.Domain.Common;
using Platform.Domain.Datasets;
using Platform.Testing;

namespace Platform.Data.Tests.Datasets;

public class CreateCorpusDatasetTests(DataServices services) : IClassFixture<DataServices>
{
    private static Stream Bytes(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));

    private static string Lines(int count) => string.Concat(Enumerable.Range(0, count).Select(i => $"Ticket {i}: the printer on floor {i % 7} is jammed again.\n"));

    private async Task<Result<Dataset>> CreateAsync(TestTenant tenant, CreateDatasetRequest request)
    {
        await using var scope = services.ScopeFor(tenant);
        return await scope.ServiceProvider.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(request);
    }

    private async Task<string> ReadArtifactAsync(Guid tenantId, string hash)
    {
        await using var stream = await services.Services.GetRequiredService<IArtifactStore>().OpenReadAsync(tenantId, hash);
        return await new StreamReader(stream).ReadToEndAsync();
    }

    [Fact]
    public async Task ExecuteAsync_TextLines_StoresOneDocumentPerLineWithHeldOutSlice()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);
        // CRLF, a BOM, an empty line, a duplicate and a line with commas and quotes.
        var text = "\uFEFF" + Lines(30).Replace("\n", "\r\n") + "\r\nTicket 0: the printer on floor 0 is jammed again.\nSay \"hi\", then leave\n";

        var result = await CreateAsync(owner, new CreateDatasetRequest("tickets", DatasetKind.Corpus, Bytes(text), Lines: true));

        Assert.True(result.IsSuccess, result.Error);
        var dataset = result.Value;
        Assert.Equal(DatasetKind.Corpus, dataset.Kind);
        Assert.Equal(31, dataset.RowCount);
        Assert.Empty(dataset.LabelCounts);
        Assert.Equal(dataset.RowCount, dataset.TrainCount + dataset.ValidationCount);
        Assert.True(dataset.ValidationCount > 0);
        Assert.Contains(dataset.Warnings, w => w.StartsWith("1 empty line skipped", StringComparison.Ordinal));
        Assert.Contains(dataset.Warnings, w => w.StartsWith("1 duplicate document skipped", StringComparison.Ordinal));
        var stored = await ReadArtifactAsync(tenant.Id, dataset.ArtifactPath);
        Assert.StartsWith("text\nTicket 0: the printer on floor 0 is jammed again.\n", stored);
        Assert.EndsWith("\"Say \"\"hi\"\", then leave\"\n", stored);
    }

    [Fact]
    public async Task ExecuteAsync_CsvTextColumn_IgnoresOtherColumns()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);
        var csv = "id,body,label\n" + string.Concat(Enumerable.Range(0, 25).Select(i => $"{i},\"note {i}, about the roof\",x\n"));

        var result = await CreateAsync(owner, new CreateDatasetRequest("notes", DatasetKind.Corpus, Bytes(csv), TextColumn: "body"));

        Assert.True(result.IsSuccess, result.Error);
        Assert.Equal((25, "body"), (result.Value.RowCount, result.Value.TextColumn));
    }

    [Fact]
    public async Task ExecuteAsync_TooFewDocuments_Refused()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);

        var result = await CreateAsync(owner, new CreateDatasetRequest("tiny", DatasetKind.Corpus, Bytes(Lines(3)), Lines: true));

        Assert.Equal(ResultStatus.BadRequest, result.Status);
        Assert.Contains("at least 20 documents", result.Error);
    }

    [Fact]
    public async Task ExecuteAsync_NotUtf8_RefusedWithLine()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);
        var bytes = Encoding.UTF8.GetBytes(Lines(25)).Concat(new byte[] { 0x63, 0x61, 0x66, 0xE9, 0x0A }).ToArray();

        var result = await CreateAsync(owner, new CreateDatasetRequest("latin1", DatasetKind.Corpus, new MemoryStream(bytes), Lines: true));

        Assert.Equal(ResultStatus.BadRequest, result.Status);
        Assert.Contains("Line 26 is not UTF-8", result.Error);
    }

    [Fact]
    public async Task ExecuteAsync_EndlessLine_SkippedWithoutHoldingIt()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);
        // A line of commas longer than the reader keeps (the test upload limit is small): skipped as over-long.
        var text = Lines(25) + new string(',', 150_000) + "\n" + "last document\n";

        var result = await CreateAsync(owner, new CreateDatasetRequest("commas", DatasetKind.Corpus, Bytes(text), Lines: true));

        Assert.True(result.IsSuccess, result.Error);
        Assert.Equal(26, result.Value.RowCount);
        Assert.Contains(result.Value.Warnings, w => w.Contains("over", StringComparison.Ordinal) && w.Contains("line 26", StringComparison.Ordinal));
    }
}
