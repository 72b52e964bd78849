using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Data;
using Platform.Data.Artifacts;
using Platform.Testing;

namespace Platform.Jobs.Tests.Privacy;

/// <summary>Stored folders (checkpoints, models) on the real local store and database.</summary>
public sealed class StoredFoldersTests : IAsyncLifetime
{
    private readonly TempDirectory _root = new();
    private PostgresDatabase _database = null!;
    private IHost _host = null!;

    private StoredFolders Folders => _host.Services.GetRequiredService<StoredFolders>();

    private IArtifactStore Store => _host.Services.GetRequiredService<IArtifactStore>();

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _database.ConnectionString,
            ["Storage:Root"] = Path.Combine(_root.Path, "store"),
            ["Storage:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Data:Migrations"] = "Check",
        });
        builder.AddPlatformData();
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _database.DisposeAsync();
        _root.Dispose();
    }

    /// <summary>A local folder with a vocabulary, a nested file and a weights file of random bytes.</summary>
    private string LocalModel(string name, byte[] weights)
    {
        var folder = Path.Combine(_root.Path, name);
        Directory.CreateDirectory(Path.Combine(folder, "baseline"));
        File.WriteAllText(Path.Combine(folder, "vocab.txt"), "[PAD]\n[UNK]\nconfidential-merger-codename\n");
        File.WriteAllText(Path.Combine(folder, "baseline", "config.json"), "{\"labels\":[\"a\",\"b\"]}");
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), weights);
        return folder;
    }

    [Fact]
    public async Task PutAsync_Folder_DownloadsAsWrittenAndNoFileOnDiskHoldsItsBytes()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        var weights = RandomNumberGenerator.GetBytes(200_000);
        var local = LocalModel("model", weights);

        var stored = await Folders.PutAsync(tenant.Id, "jobs/j1/runs/t1/model", local);

        Assert.Equal(["baseline/config.json", "model.safetensors", "vocab.txt"], stored.Select(f => f.Path));
        var copy = Path.Combine(_root.Path, "copy");
        Assert.True(await Folders.DownloadAsync(tenant.Id, "jobs/j1/runs/t1/model", copy));
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(copy, "model.safetensors")));
        Assert.Equal(File.ReadAllText(Path.Combine(local, "baseline", "config.json")), File.ReadAllText(Path.Combine(copy, "baseline", "config.json")));
        var baselineOnly = Path.Combine(_root.Path, "baseline-only");
        Assert.True(await Folders.DownloadAsync(tenant.Id, "jobs/j1/runs/t1/model", baselineOnly, "baseline"));
        Assert.Equal(["config.json"], Directory.EnumerateFiles(baselineOnly).Select(Path.GetFileName));

        var vocab = Encoding.UTF8.GetBytes("confidential-merger-codename");
        var sample = weights.AsSpan(100_000, 64).ToArray();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(_root.Path, "store"), "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            Assert.True(bytes.AsSpan().IndexOf(vocab) < 0, $"{file} holds the vocabulary in the clear");
            Assert.True(bytes.AsSpan().IndexOf(sample) < 0, $"{file} holds the weights in the clear");
        }
    }

    [Fact]
    public async Task OtherTenant_SeesNoFolderAndCannotReadItsFiles()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        var (other, _) = await Seed.TenantAsync(_database);
        var stored = await Folders.PutAsync(tenant.Id, "jobs/j1/runs/t1/model", LocalModel("model", RandomNumberGenerator.GetBytes(1000)));

        Assert.Empty(await Folders.ListAsync(other.Id, "jobs/j1/runs/t1/model"));
        Assert.False(await Folders.DownloadAsync(other.Id, "jobs/j1/runs/t1/model", Path.Combine(_root.Path, "stolen")));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Folders.OpenReadAsync(other.Id, "jobs/j1/runs/t1/model", "vocab.txt"));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.OpenReadAsync(other.Id, stored[0].Hash));
    }

    [Fact]
    public async Task DeleteAsync_FileSharedWithAnotherFolder_KeepsItsBytesUntilTheLastFolderGoes()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        var weights = RandomNumberGenerator.GetBytes(5000);
        await Folders.PutAsync(tenant.Id, "jobs/j1/runs/t1/checkpoint-00000010", LocalModel("checkpoint", RandomNumberGenerator.GetBytes(5000)));
        var model = await Folders.PutAsync(tenant.Id, "jobs/j1/runs/t1/model", LocalModel("model", weights));
        var vocab = model.Single(f => f.Path == "vocab.txt").Hash;
        var onlyInCheckpoint = (await Folders.ListAsync(tenant.Id, "jobs/j1/runs/t1/checkpoint-00000010")).Single(f => f.Path == "model.safetensors").Hash;

        Assert.Equal(1, await Folders.DeleteAsync(tenant.Id, "jobs/j1/runs/t1/checkpoint-00000010"));

        Assert.True(await Store.ExistsAsync(tenant.Id, vocab));
        Assert.False(await Store.ExistsAsync(tenant.Id, onlyInCheckpoint));
        Assert.Equal(["jobs/j1/runs/t1/model"], await Folders.FoldersAsync(tenant.Id, "jobs/j1/").ToListAsync());
        Assert.Equal(1, await Folders.DeleteAsync(tenant.Id, "jobs/j1/runs/t1/model"));
        Assert.False(await Store.ExistsAsync(tenant.Id, vocab));
        Assert.Empty(await Store.ListAsync(tenant.Id).ToListAsync());
    }

    [Fact]
    public async Task PutFileAsync_ExtraFileBesideAModel_AddedAndTheOthersKept()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        await Folders.PutAsync(tenant.Id, "jobs/j1/runs/t1/model", LocalModel("model", RandomNumberGenerator.GetBytes(1000)));
        var onnx = RandomNumberGenerator.GetBytes(3000);

        await Folders.PutFileAsync(tenant.Id, "jobs/j1/runs/t1/model", "model.onnx", new MemoryStream(onnx));
        await Folders.PutFileAsync(tenant.Id, "jobs/j1/runs/t1/model", "model.onnx", new MemoryStream(onnx[..100]));

        Assert.Equal(["baseline/config.json", "model.onnx", "model.safetensors", "vocab.txt"],
            (await Folders.ListAsync(tenant.Id, "jobs/j1/runs/t1/model")).Select(f => f.Path));
        await using var read = await Folders.OpenReadAsync(tenant.Id, "jobs/j1/runs/t1/model", "model.onnx");
        using var buffer = new MemoryStream();
        await read.CopyToAsync(buffer);
        Assert.Equal(onnx[..100], buffer.ToArray());
        // The replaced version's bytes are not kept.
        Assert.Equal(4, await Store.ListAsync(tenant.Id).CountAsync());
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/absolute")]
    [InlineData("jobs//double")]
    [InlineData("jobs/./dot")]
    public async Task PutFileAsync_NameLeavingItsFolder_IsRefusedAndStoresNothing(string path)
    {
        var (tenant, _) = await Seed.TenantAsync(_database);

        await Assert.ThrowsAsync<ArgumentException>(() => Folders.PutFileAsync(tenant.Id, "jobs/j1/runs/t1/model", path, new MemoryStream([1, 2, 3])));
        await Assert.ThrowsAsync<ArgumentException>(() => Folders.PutFileAsync(tenant.Id, path, "model.onnx", new MemoryStream([1, 2, 3])));

        Assert.Empty(await Store.ListAsync(tenant.Id).ToListAsync());
    }
}
