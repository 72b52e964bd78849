using System.IO.Compression;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Artifacts;
using Platform.Data.Datasets;
using Platform.Domain.Common;
using Platform.Domain.Datasets;
using Platform.Testing;

namespace Platform.Data.Tests.Datasets;

public class CreateDatasetCommandTests(DataServices services) : IClassFixture<DataServices>
{
    private static Stream Csv(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));

    private static string BalancedCsv(int perClass = 10)
    {
        var sb = new StringBuilder("text,label\n");
        for (var i = 0; i < perClass; i++)
        {
            sb.Append($"\"good, film {i}\",pos\nbad film {i},neg\n");
        }
        return sb.ToString();
    }

    private async Task<Result<Dataset>> CreateAsync(TestTenant tenant, CreateDatasetRequest request)
    {
        await using var scope = services.ScopeFor(tenant);
        return await scope.ServiceProvider.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(request);
    }

    private async Task<string> ReadArtifactAsync(Guid tenantId, string hash)
    {
        var store = services.Services.GetRequiredService<IArtifactStore>();
        await using var stream = await store.OpenReadAsync(tenantId, hash);
        return await new StreamReader(stream).ReadToEndAsync();
    }

    private async Task AssertNothingStoredAsync(Guid tenantId, IReadOnlyList<string> filesBefore)
    {
        await using var db = services.Database.CreateDbContext(tenantId);
        Assert.Empty(await db.Datasets.ToListAsync());
        Assert.Empty(await db.DatasetFiles.ToListAsync());
        Assert.Equal(filesBefore, services.StoredFiles());
    }

    [Fact]
    public async Task ExecuteAsync_ValidCsv_CreatesVersionWithDataSplitAndProfile()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);

        var result = await CreateAsync(owner, new CreateDatasetRequest("Reviews", DatasetKind.Text, Csv(BalancedCsv())));

        Assert.True(result.IsSuccess, result.Error);
        var dataset = result.Value;
        Assert.Equal((1, 20, 16, 4), (dataset.Version, dataset.RowCount, dataset.TrainCount, dataset.ValidationCount));
        Assert.Equal(new Dictionary<string, int> { ["neg"] = 10, ["pos"] = 10 }, dataset.LabelCounts);
        Assert.Equal(("text", "label"), (dataset.TextColumn, dataset.LabelColumn));
        var data = await ReadArtifactAsync(tenant.Id, dataset.ArtifactPath);
        Assert.StartsWith("text,label\n\"good, film 0\",pos\nbad film 0,neg\n", data);
        await using var splitStream = await services.Services.GetRequiredService<IArtifactStore>().OpenReadAsync(tenant.Id, dataset.SplitPath);
        var split = await SplitFile.ReadAsync(splitStream);
        Assert.Equal(Enumerable.Range(0, 20), split.Train.Concat(split.Validation).Order());
        Assert.Equal(dataset.SplitSeed, split.Seed);
        await using var db = services.Database.CreateDbContext(tenant.Id);
        Assert.Equal(2, await db.DatasetFiles.CountAsync(f => f.DatasetId == dataset.Id));
        Assert.DoesNotContain(services.StoredFiles(), f => f.StartsWith("uploads/", StringComparison.Ordinal) && !f.EndsWith('/'));
    }

    [Fact]
    public async Task ExecuteAsync_SameNameTwice_IncrementsVersionAndSharesFiles()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);

        var first = await CreateAsync(owner, new CreateDatasetRequest("Reviews", DatasetKind.Text, Csv(BalancedCsv())));
        var second = await CreateAsync(owner, new CreateDatasetRequest("Reviews", DatasetKind.Text, Csv(BalancedCsv())));

        Assert.Equal((1, 2), (first.Value.Version, second.Value.Version));
        Assert.Equal(first.Value.ArtifactPath, second.Value.ArtifactPath);
    }

    [Fact]
    public async Task ExecuteAsync_ConcurrentUploadsOfSameName_GetDistinctVersions()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);

        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => Task.Run(() =>
            CreateAsync(owner, new CreateDatasetRequest("Reviews", DatasetKind.Text, Csv(BalancedCsv(5 + i)))))));

        Assert.All(results, r => Assert.True(r.IsSuccess, r.Error));
        Assert.Equal([1, 2, 3], results.Select(r => r.Value.Version).Order());
    }

    [Fact]
    public async Task ExecuteAsync_ValidZip_StoresImagesManifestAndSamples()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);
        var zip = TestZip.Images(5, "cat", "dog").Add("__MACOSX/cat/._cat-0.png", [1, 2, 3]).ToArray();

        var result = await CreateAsync(owner, new CreateDatasetRequest("Pets", DatasetKind.Image, new MemoryStream(zip)));

        Assert.True(result.IsSuccess, result.Error);
        var dataset = result.Value;
        Assert.Equal(new Dictionary<string, int> { ["cat"] = 5, ["dog"] = 5 }, dataset.LabelCounts);
        Assert.Equal((8, 8, 6, 6), (dataset.Stats.Min, dataset.Stats.Max, dataset.Stats.MinHeight, dataset.Stats.MaxHeight));
        var manifest = (await ReadArtifactAsync(tenant.Id, dataset.ArtifactPath)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(10, manifest.Length);
        Assert.Contains("\"label\":\"cat\"", manifest[0]);
        Assert.Contains(dataset.Warnings, w => w.Contains("system file", StringComparison.Ordinal));
        var sample = dataset.Samples[0];
        await using var scope = services.ScopeFor(owner);
        var opened = await scope.ServiceProvider.GetRequiredService<OpenDatasetFileQuery>().ExecuteAsync(dataset.Id, sample.ImageHash!);
        await using var image = opened.Value;
        var bytes = new MemoryStream();
        await image.CopyToAsync(bytes);
        Assert.Equal(TestImages.Png(8, 6, 0), bytes.ToArray());
    }

    [Fact]
    public async Task ExecuteAsync_ZipInOneTopFolder_StripsIt()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);
        var zip = new TestZip()
            .Add("pets/cat/a.png", TestImages.Png(4, 4, 1)).Add("pets/cat/b.png", TestImages.Png(4, 4, 2))
            .Add("pets/dog/c.jpg", TestImages.Jpeg(3)).Add("pets/dog/d.jpeg", TestImages.Jpeg(4))
            .ToArray();

        var result = await CreateAsync(owner, new CreateDatasetRequest("Pets", DatasetKind.Image, new MemoryStream(zip)));

        Assert.Equal(["cat", "dog"], result.Value.LabelCounts.Keys.Order());
    }

    private async Task<(Dataset Stored, DatasetSplit Split)> ReadBackAsync(Guid tenantId, Guid datasetId)
    {
        await using var db = services.Database.CreateDbContext(tenantId);
        var stored = await db.Datasets.SingleAsync(d => d.Id == datasetId);
        await using var splitStream = await services.Services.GetRequiredService<IArtifactStore>().OpenReadAsync(tenantId, stored.SplitPath);
        return (stored, await SplitFile.ReadAsync(splitStream));
    }

    [Fact]
    public async Task ExecuteAsync_ZipWithIdenticalImages_SkipsCopiesInALabelKeepsCopiesAcrossLabelsOnOneSide()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);
        // cat-0..9 and dog-0..9 differ; extra-a and extra-b repeat cat-0 in its own folder; dog/copy-i repeats cat-i.
        var zip = TestZip.Images(10, "cat", "dog").Add("cat/extra-a.png", TestImages.Png(8, 6, 0)).Add("cat/extra-b.png", TestImages.Png(8, 6, 0));
        for (byte i = 0; i < 10; i++)
        {
            zip.Add($"dog/copy-{i}.png", TestImages.Png(8, 6, i));
        }

        var result = await CreateAsync(owner, new CreateDatasetRequest("Pets", DatasetKind.Image, new MemoryStream(zip.ToArray())));

        Assert.True(result.IsSuccess, result.Error);
        var (dataset, split) = await ReadBackAsync(tenant.Id, result.Value.Id);
        Assert.Equal(new Dictionary<string, int> { ["cat"] = 10, ["dog"] = 20 }, dataset.LabelCounts);
        Assert.Equal(
            [
                "2 duplicate images skipped (same bytes as an image kept in the same label folder): cat/extra-a.png, cat/extra-b.png.",
                "10 images appear under more than one label (same bytes): cat/cat-0.png = dog/copy-0.png, cat/cat-1.png = dog/copy-1.png, " +
                "cat/cat-2.png = dog/copy-2.png, cat/cat-3.png = dog/copy-3.png, cat/cat-4.png = dog/copy-4.png, … (and 5 more). " +
                "Every copy is kept, all on the same side of the train/validation split; check which label is right.",
            ],
            dataset.Warnings);
        var names = (await ReadArtifactAsync(tenant.Id, dataset.ArtifactPath)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("name").GetString()!).ToList();
        Assert.Equal(30, names.Count);
        Assert.DoesNotContain("cat/extra-a.png", names);
        Assert.All(Enumerable.Range(0, 10), i =>
            Assert.Equal(split.Validation.Contains(names.IndexOf($"cat/cat-{i}.png")), split.Validation.Contains(names.IndexOf($"dog/copy-{i}.png"))));
        Assert.Equal((split.Train.Count, split.Validation.Count), (dataset.TrainCount, dataset.ValidationCount));
    }

    [Fact]
    public async Task ExecuteAsync_CsvWithTextsUnderTwoLabels_KeepsThemOnOneSideAndSaysSo()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);
        var csv = "text,label\n" + string.Concat(Enumerable.Range(0, 20).Select(i => $"review {i},pos\n")) +
                  string.Concat(Enumerable.Range(0, 20).Select(i => $"review {i},neg\n"));

        var result = await CreateAsync(owner, new CreateDatasetRequest("Reviews", DatasetKind.Text, Csv(csv)));

        Assert.True(result.IsSuccess, result.Error);
        var (dataset, split) = await ReadBackAsync(tenant.Id, result.Value.Id);
        Assert.Equal(40, dataset.RowCount);
        Assert.StartsWith("20 texts appear under more than one label: line 2 = line 22, line 3 = line 23,", Assert.Single(dataset.Warnings));
        Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(split.Validation.Contains(i), split.Validation.Contains(20 + i)));
    }

    [Fact]
    public async Task ExecuteAsync_ThousandSmallClasses_StoresOneGroupedWarning()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);
        var csv = "text,label\n" + string.Concat(Enumerable.Range(0, 3000).Select(i => $"row {i},c{i % 1000:D3}\n"));

        var result = await CreateAsync(owner, new CreateDatasetRequest("Many", DatasetKind.Text, Csv(csv)));

        Assert.True(result.IsSuccess, result.Error);
        var (dataset, _) = await ReadBackAsync(tenant.Id, result.Value.Id);
        Assert.Equal(1000, dataset.LabelCounts.Count);
        Assert.Equal(["1,000 classes have fewer than 10 examples, which rarely train well: 'c000' (3), 'c001' (3), 'c002' (3), 'c003' (3), 'c004' (3), … (and 995 more)."],
            dataset.Warnings);
    }

    public static TheoryData<string, string, DatasetKind, byte[]> BadUploads => new()
    {
        { "malformed CSV", "closing quote", DatasetKind.Text, Encoding.UTF8.GetBytes("text,label\n\"open,pos\nx,neg\n") },
        { "ragged CSV", "Line 3", DatasetKind.Text, Encoding.UTF8.GetBytes("text,label\na,pos\nb,neg,extra\n") },
        { "wrong encoding", "UTF-8", DatasetKind.Text, [.. Encoding.ASCII.GetBytes("text,label\nna"), 0xEF, 0x76, .. Encoding.ASCII.GetBytes(",pos\nb,neg\n")] },
        { "UTF-16", "UTF-16", DatasetKind.Text, [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("text,label\na,pos\n")] },
        { "too few classes", "at least 2 classes", DatasetKind.Text, Encoding.UTF8.GetBytes("text,label\na,pos\nb,pos\nc,pos\n") },
        { "class below minimum", "at least 2 examples", DatasetKind.Text, Encoding.UTF8.GetBytes("text,label\na,pos\nb,pos\nc,neg\n") },
        { "missing column", "no column 'text'", DatasetKind.Text, Encoding.UTF8.GetBytes("review,label\na,pos\n") },
        { "not a zip", "not a valid ZIP", DatasetKind.Image, Encoding.UTF8.GetBytes("text,label\na,b\n") },
        { "zip bomb", "zip bomb", DatasetKind.Image, TestZip.Images(2, "cat", "dog").Add("cat/huge.png", new byte[150_000]).ToArray() },
        { "zip slip", "'..'", DatasetKind.Image, TestZip.Images(2, "cat", "dog").Add("../../evil.png", TestImages.Png(2, 2)).ToArray() },
        { "absolute path", "absolute path", DatasetKind.Image, TestZip.Images(2, "cat", "dog").Add("/tmp/evil.png", TestImages.Png(2, 2)).ToArray() },
        { "symlink", "symbolic link", DatasetKind.Image, TestZip.Images(2, "cat", "dog").AddSymlink("cat/link.png", "/etc/passwd").ToArray() },
        { "fake PNG", "not a PNG or JPEG image", DatasetKind.Image, TestZip.Images(2, "cat", "dog").Add("dog/fake.png", Encoding.UTF8.GetBytes("hello, I am text")).ToArray() },
        { "other extension", ".png, .jpg", DatasetKind.Image, TestZip.Images(2, "cat", "dog").Add("dog/notes.txt", [1]).ToArray() },
        { "too many pixels", "at most 512x512", DatasetKind.Image, TestZip.Images(2, "cat", "dog").Add("dog/big.jpg", TestImages.JpegHeader(4000, 300)).ToArray() },
        { "truncated PNG", "truncated or corrupt", DatasetKind.Image, TestZip.Images(2, "cat", "dog").Add("dog/cut.png", TestImages.Truncated(TestImages.Png(64, 64, 9))).ToArray() },
        { "truncated JPEG", "truncated or corrupt", DatasetKind.Image, TestZip.Images(2, "cat", "dog").Add("dog/cut.jpg", TestImages.Truncated(TestImages.Jpeg(9))).ToArray() },
        { "JPEG header only", "truncated or corrupt", DatasetKind.Image, TestZip.Images(2, "cat", "dog").Add("dog/head.jpg", TestImages.JpegHeader(30, 20)).ToArray() },
        { "line of commas", "more than 1,000 fields", DatasetKind.Text, Encoding.UTF8.GetBytes("text,label\n" + new string(',', 5000) + "\n") },
        { "too few image classes", "at least 2 classes", DatasetKind.Image, TestZip.Images(3, "cat").ToArray() },
        { "image at top level", "not in a label folder", DatasetKind.Image, TestZip.Images(2, "cat", "dog").Add("loose.png", TestImages.Png(2, 2)).ToArray() },
        { "oversized upload", "upload limit", DatasetKind.Text, Encoding.UTF8.GetBytes("text,label\n" + string.Concat(Enumerable.Repeat("some text here,pos\n", 12_000))) },
    };

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task ExecuteAsync_BadUpload_ReturnsBadRequestAndStoresNothing(string why, string expected, DatasetKind kind, byte[] upload)
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);
        var before = services.StoredFiles();

        var result = await CreateAsync(owner, new CreateDatasetRequest("Bad " + why, kind, new MemoryStream(upload)));

        Assert.Equal(ResultStatus.BadRequest, result.Status);
        Assert.Contains(expected, result.Error);
        await AssertNothingStoredAsync(tenant.Id, before);
    }

    [Fact]
    public async Task ExecuteAsync_ImagesStoredThenFinalCheckFails_RemovesStoredImages()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);
        // Two files per class pass the early count, but dog's two files are identical: after
        // de-duplication dog has one image, below the minimum, after cat's images were stored.
        var zip = TestZip.Images(3, "cat").Add("dog/a.png", TestImages.Png(5, 5, 99)).Add("dog/b.png", TestImages.Png(5, 5, 99)).ToArray();
        var before = services.StoredFiles();

        var result = await CreateAsync(owner, new CreateDatasetRequest("Dupes", DatasetKind.Image, new MemoryStream(zip)));

        Assert.Equal(ResultStatus.BadRequest, result.Status);
        await AssertNothingStoredAsync(tenant.Id, before);
    }

    [Fact]
    public async Task ExecuteAsync_FailedUploadOfSharedContent_KeepsOtherDatasetsFiles()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);
        var good = TestZip.Images(3, "cat", "dog");
        var kept = await CreateAsync(owner, new CreateDatasetRequest("Pets", DatasetKind.Image, new MemoryStream(good.ToArray())));
        var files = services.StoredFiles();

        var bad = await CreateAsync(owner, new CreateDatasetRequest("Pets", DatasetKind.Image,
            new MemoryStream(good.Add("dog/fake.png", [1, 2, 3]).ToArray())));

        Assert.Equal(ResultStatus.BadRequest, bad.Status);
        Assert.Equal(files, services.StoredFiles());
        Assert.True(kept.IsSuccess);
    }

    [Fact]
    public async Task ExecuteAsync_SuspendedTenant_ReturnsForbiddenWithReason()
    {
        var (tenant, owner) = await Seed.TenantAsync(services.Database);
        await using (var db = services.Database.CreateDbContext())
        {
            await new Platform.Data.Tenants.SuspendTenantCommand(db, new Platform.Data.Audit.AuditTrail(new TestTenant())).ExecuteAsync(tenant.Id, "Unpaid invoice");
        }

        var result = await CreateAsync(owner, new CreateDatasetRequest("Reviews", DatasetKind.Text, Csv(BalancedCsv())));

        Assert.Equal(ResultStatus.Forbidden, result.Status);
        Assert.Contains("Unpaid invoice", result.Error);
    }

    [Fact]
    public async Task ExecuteAsync_UserOfOtherTenant_ReturnsForbidden()
    {
        var (tenantA, _) = await Seed.TenantAsync(services.Database);
        var (_, ownerB) = await Seed.TenantAsync(services.Database);

        var result = await CreateAsync(new TestTenant(tenantA.Id, ownerB.UserId), new CreateDatasetRequest("Reviews", DatasetKind.Text, Csv(BalancedCsv())));

        Assert.Equal(ResultStatus.Forbidden, result.Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task ExecuteAsync_BlankName_ReturnsBadRequest(string name)
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);

        var result = await CreateAsync(owner, new CreateDatasetRequest(name, DatasetKind.Text, Csv(BalancedCsv())));

        Assert.Equal(ResultStatus.BadRequest, result.Status);
    }
}
