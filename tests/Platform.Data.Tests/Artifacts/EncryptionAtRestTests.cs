using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Datasets;
using Platform.Domain.Datasets;
using Platform.Testing;

namespace Platform.Data.Tests.Artifacts;

/// <summary>What someone holding the disk sees after real uploads: only ciphertext.</summary>
public class EncryptionAtRestTests(DataServices services) : IClassFixture<DataServices>
{
    [Fact]
    public async Task Upload_CsvAndImages_NoStoredFileHoldsTheirPlaintext()
    {
        var (_, owner) = await Seed.TenantAsync(services.Database);
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < 12; i++)
            csv.Append($"confidential customer complaint number {i},complaint\nhappy customer note {i},praise\n");
        var images = TestZip.Images(4, "cat", "dog");
        var firstPng = TestImages.Png(8, 6, 0);

        await using (var scope = services.ScopeFor(owner))
        {
            var create = scope.ServiceProvider.GetRequiredService<CreateDatasetCommand>();
            var text = await create.ExecuteAsync(new CreateDatasetRequest("Complaints", DatasetKind.Text, new MemoryStream(Encoding.UTF8.GetBytes(csv.ToString()))));
            Assert.True(text.IsSuccess, text.Error);
            var pictures = await create.ExecuteAsync(new CreateDatasetRequest("Pets", DatasetKind.Image, new MemoryStream(images.ToArray())));
            Assert.True(pictures.IsSuccess, pictures.Error);
        }

        var stored = Directory.EnumerateFiles(services.Storage.Path, "*", SearchOption.AllDirectories)
            .Where(f => f.Contains($"{owner.TenantId:N}", StringComparison.Ordinal)).ToList();
        Assert.True(stored.Count >= 10, $"expected the CSV, split, manifest, images and thumbnails; found {stored.Count} files");
        // The PNG's pixel data (past its fixed signature and header) and any row of the CSV.
        var pngBody = firstPng.AsSpan(firstPng.Length - 24).ToArray();
        foreach (var path in stored)
        {
            var raw = await File.ReadAllBytesAsync(path);
            Assert.Equal(-1, raw.AsSpan().IndexOf("confidential customer"u8));
            Assert.Equal(-1, raw.AsSpan().IndexOf("happy customer"u8));
            Assert.Equal(-1, raw.AsSpan().IndexOf("IHDR"u8));
            Assert.Equal(-1, raw.AsSpan().IndexOf(pngBody));
        }
    }
}
