using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.Data;
using Platform.Data.Artifacts;
using Platform.Data.Datasets;
using Platform.Domain.Common;
using Platform.Domain.Datasets;
using Platform.Jobs.Catalog;
using Platform.Jobs.Launch;
using Platform.Testing;

namespace Platform.Jobs.Tests.Catalog;

/// <summary>The tenant-private catalog: who sees and launches what, names within what one tenant sees, registering folders.</summary>
public sealed class BaseModelCatalogTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("platform-catalog-test-").FullName;
    private PostgresDatabase _database = null!;
    private IHost _host = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _database.ConnectionString,
            ["Storage:Root"] = _root,
            ["Data:Migrations"] = "Check",
        });
        builder.AddPlatformData();
        builder.AddJobPortal();
        _host = builder.Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _database.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private BaseModelCatalog Catalog => _host.Services.GetRequiredService<BaseModelCatalog>();

    private BaseModelFiles Files => _host.Services.GetRequiredService<BaseModelFiles>();

    private StoredFolders Stored => _host.Services.GetRequiredService<StoredFolders>();

    private string NewBert(string name) => TestModels.WriteBert(Path.Combine(_root, "src", name + Guid.NewGuid().ToString("N")[..6]));

    private Task<Result<BaseModel>> RegisterAsync(Guid? tenantId, string name, string? folder = null) =>
        Catalog.RegisterTextModelFolderAsync(new TextModelRegistration(tenantId, name, folder ?? NewBert(name), "test", "folder"));

    [Fact]
    public async Task ListAndFind_AnotherTenantsPrivateModel_IsInvisible()
    {
        var (mine, _) = await Seed.TenantAsync(_database);
        var (theirs, _) = await Seed.TenantAsync(_database);
        Assert.True((await RegisterAsync(null, "shared-bert")).IsSuccess);
        Assert.True((await RegisterAsync(mine.Id, "my-bert")).IsSuccess);
        Assert.True((await RegisterAsync(theirs.Id, "their-bert")).IsSuccess);

        Assert.Equal(["my-bert", "shared-bert"], (await Catalog.ListAsync(mine.Id)).Select(m => m.Name).Order());
        Assert.Equal(["shared-bert"], (await Catalog.ListAsync(null)).Select(m => m.Name));
        Assert.Null(await Catalog.FindAsync(mine.Id, "their-bert"));
        Assert.Null(await Catalog.FindAsync(null, "my-bert"));
        Assert.NotNull(await Catalog.FindAsync(mine.Id, "shared-bert"));
        Assert.Equal(mine.Id, (await Catalog.FindAsync(mine.Id, "my-bert"))!.TenantId);
    }

    [Fact]
    public async Task Launch_AnotherTenantsPrivateModel_IsRefusedLikeAnUnknownOne()
    {
        var (mine, owner) = await Seed.TenantAsync(_database);
        var (_, stranger) = await Seed.TenantAsync(_database);
        Assert.True((await RegisterAsync(mine.Id, "private-bert")).IsSuccess);
        var myDataset = await TextDatasetAsync(owner);
        var theirDataset = await TextDatasetAsync(stranger);

        var theirs = await LaunchAsync(stranger, new LaunchJobRequest(theirDataset, "private-bert", "fast"));
        var mineLaunched = await LaunchAsync(owner, new LaunchJobRequest(myDataset, "private-bert", "fast"));

        Assert.Equal(ResultStatus.BadRequest, theirs.Status);
        Assert.Equal("Unknown base model 'private-bert'.", theirs.Error);
        Assert.True(mineLaunched.IsSuccess, mineLaunched.Error);
        Assert.Equal(0L, await _database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE tenant_id = '{stranger.TenantId}'"));
    }

    [Fact]
    public async Task Register_NamesCollideOnlyWithinWhatOneTenantSees()
    {
        var (first, _) = await Seed.TenantAsync(_database);
        var (second, _) = await Seed.TenantAsync(_database);
        Assert.True((await RegisterAsync(null, "bert-base")).IsSuccess);
        Assert.True((await RegisterAsync(first.Id, "domain-bert")).IsSuccess);

        var privateOverPlatform = await RegisterAsync(first.Id, "bert-base");
        var platformOverPrivate = await RegisterAsync(null, "domain-bert");
        var sameNameElsewhere = await RegisterAsync(second.Id, "domain-bert");
        var twiceInOneTenant = await RegisterAsync(first.Id, "domain-bert");

        Assert.Equal(ResultStatus.Conflict, privateOverPlatform.Status);
        Assert.Contains("platform-wide", privateOverPlatform.Error);
        Assert.Equal(ResultStatus.Conflict, platformOverPrivate.Status);
        Assert.Contains("private", platformOverPrivate.Error);
        Assert.True(sameNameElsewhere.IsSuccess, sameNameElsewhere.Error);
        Assert.Equal(ResultStatus.Conflict, twiceInOneTenant.Status);
        // The stored folders of refused registrations are not left behind.
        Assert.Equal(3L, await _database.ScalarAsync<long>("SELECT count(DISTINCT (tenant_id, folder)) FROM stored_folder_files"));
    }

    [Fact]
    public async Task Database_PrivateRowNamedLikeAPlatformWideOne_IsAUniqueViolation()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        Assert.True((await RegisterAsync(null, "bert-base")).IsSuccess);

        await using var command = _database.DataSource.CreateCommand("""
            INSERT INTO base_models (id, name, kind, path, description, parameters, tenant_id, source)
            VALUES (gen_random_uuid(), 'bert-base', 'bert', '/x', '', 1, $1, 'folder')
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant.Id });
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
    }

    [Fact]
    public async Task RegisterTextModelFolder_DistilBert_IsStoredAndTheSourceLeftAlone()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        var source = TestModels.WriteDistilBert(Path.Combine(_root, "src", "pretrained"));
        File.WriteAllText(Path.Combine(source, "notes.txt"), "not part of a model");
        var jobId = Guid.NewGuid();

        var registered = await Catalog.RegisterTextModelFolderAsync(
            new TextModelRegistration(tenant.Id, "domain-distil", source, "pre-trained on our tickets", $"pretrain:{jobId}"));

        Assert.True(registered.IsSuccess, registered.Error);
        var model = registered.Value;
        Assert.Equal("distilbert", model.Architecture);
        Assert.Equal($"pretrain:{jobId}", model.Source);
        Assert.Equal(tenant.Id, model.TenantId);
        Assert.True(File.Exists(Path.Combine(source, "model.safetensors")));
        Assert.Null(model.Path);
        Assert.Equal(["config.json", "model.safetensors", "tokenizer_config.json", "vocab.txt"],
            (await Stored.ListAsync(tenant.Id, model.Folder!)).Select(f => f.Path));
        Assert.Equal(32, model.Profile!.Width);
        Assert.Equal(model, await Catalog.FindAsync(tenant.Id, "domain-distil"));
    }

    /// <summary>
    /// A private model's files are in the tenant's artifact store, encrypted: no file on disk (but the source
    /// and the worker's cache of decrypted models) holds its config or vocabulary, and a stored file copied
    /// into another tenant's store does not decrypt there.
    /// </summary>
    [Fact]
    public async Task RegisterPrivateModel_NoPlaintextInTheStoreAndACopyInAnotherTenantDoesNotDecrypt()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        var (other, _) = await Seed.TenantAsync(_database);
        var source = NewBert("secret-bert");
        var config = await File.ReadAllBytesAsync(Path.Combine(source, "config.json"));
        var vocab = await File.ReadAllBytesAsync(Path.Combine(source, "vocab.txt"));
        var weights = await File.ReadAllBytesAsync(Path.Combine(source, "model.safetensors"));
        var model = (await RegisterAsync(tenant.Id, "secret-bert", source)).Value;
        var local = await Files.LocalFolderAsync(model);
        Assert.Equal(vocab, await File.ReadAllBytesAsync(Path.Combine(local, "vocab.txt")));

        var scanned = 0;
        foreach (var file in Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)
                     .Where(f => !f.StartsWith(Path.Combine(_root, "src"), StringComparison.Ordinal) && !f.StartsWith(local, StringComparison.Ordinal)))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.True(bytes.AsSpan().IndexOf(config) < 0, $"{file} holds the model's config.json in the clear");
            Assert.True(bytes.AsSpan().IndexOf(vocab) < 0, $"{file} holds the model's vocab.txt in the clear");
            Assert.True(bytes.AsSpan().IndexOf(weights.AsSpan(weights.Length / 2, 1024)) < 0, $"{file} holds the model's weights in the clear");
            scanned++;
        }
        Assert.True(scanned >= 3, $"only {scanned} files scanned");

        var store = _host.Services.GetRequiredService<IArtifactStore>();
        await store.PutAsync(other.Id, new MemoryStream("the other tenant has a key too"u8.ToArray()));
        var hash = (await Stored.ListAsync(tenant.Id, model.Folder!)).Single(f => f.Path == "vocab.txt").Hash;
        var copy = Path.Combine(_root, "tenants", other.Id.ToString("N"), hash[..2], hash);
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(Path.Combine(_root, "tenants", tenant.Id.ToString("N"), hash[..2], hash), copy);
        await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await using var read = await store.OpenReadAsync(other.Id, hash);
            await read.CopyToAsync(Stream.Null);
        });
    }

    [Fact]
    public async Task LocalFolder_ModelFilesChangedInTheStore_FetchedAgainNotServedStale()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        var model = (await RegisterAsync(tenant.Id, "changing-bert")).Value;
        var first = await Files.LocalFolderAsync(model);
        Assert.Equal(first, await Files.LocalFolderAsync(model));

        await Stored.PutFileAsync(tenant.Id, model.Folder!, "vocab.txt", new MemoryStream("[PAD]\n[UNK]\nchanged\n"u8.ToArray()));
        var second = await Files.LocalFolderAsync(model);

        Assert.NotEqual(first, second);
        Assert.EndsWith("changed\n", await File.ReadAllTextAsync(Path.Combine(second, "vocab.txt")));
        Assert.False(Directory.Exists(first), "the stale version is removed from the cache");
    }

    [Fact]
    public async Task DeletingATenant_RemovesItsPrivateModels()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        Assert.True((await RegisterAsync(tenant.Id, "gone-bert")).IsSuccess);

        await _database.ScalarAsync<int>($"WITH d AS (DELETE FROM tenants WHERE id = '{tenant.Id}' RETURNING 1) SELECT count(*)::int FROM d");

        Assert.Equal(0L, await _database.ScalarAsync<long>("SELECT count(*) FROM base_models WHERE name = 'gone-bert'"));
    }

    /// <summary>
    /// An install from before the store kept base models as plain folders under Catalog:Root: the web host
    /// stores them (with the profile the launch plans from) and deletes each plain folder once no queued or
    /// running job names it.
    /// </summary>
    [Fact]
    public async Task LegacyFolders_AreMovedIntoTheStore_AndDeletedOnceNoActiveJobNamesThem()
    {
        var (tenant, _) = await Seed.TenantAsync(_database);
        var catalogRoot = Path.Combine(_root, "catalog");
        var idle = (Id: Guid.NewGuid(), Path: TestModels.WriteBert(Path.Combine(catalogRoot, Guid.NewGuid().ToString("N"))));
        var busy = (Id: Guid.NewGuid(), Path: TestModels.WriteBert(Path.Combine(catalogRoot, Guid.NewGuid().ToString("N"))));
        foreach (var (id, path, owner) in new[] { (idle.Id, idle.Path, (Guid?)tenant.Id), (busy.Id, busy.Path, null) })
        {
            await using var insert = _database.DataSource.CreateCommand("""
                INSERT INTO base_models (id, name, kind, path, description, parameters, tenant_id, source, architecture)
                VALUES ($1, $2, 'bert', $3, 'old', 10, $4, 'folder', 'bert')
                """);
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            insert.Parameters.Add(new NpgsqlParameter { Value = "legacy-" + id.ToString("N")[..8] });
            insert.Parameters.Add(new NpgsqlParameter { Value = path });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)owner ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            await insert.ExecuteNonQueryAsync();
        }
        var job = Guid.NewGuid();
        await using (var queued = _database.DataSource.CreateCommand(
            "INSERT INTO jobs (id, tenant_id, kind, name, state, payload) VALUES ($1, $2, 'train', 'old job', 'Queued', jsonb_build_object('baseModel', $3::text))"))
        {
            queued.Parameters.Add(new NpgsqlParameter { Value = job });
            queued.Parameters.Add(new NpgsqlParameter { Value = tenant.Id });
            queued.Parameters.Add(new NpgsqlParameter { Value = busy.Path });
            await queued.ExecuteNonQueryAsync();
        }
        var migration = new LegacyCatalogFolderMigration(_database.DataSource, Stored,
            new Platform.Jobs.Privacy.TenantFolders(_host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()),
            _host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DataOptions>>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<LegacyCatalogFolderMigration>.Instance);

        Assert.Equal(2, await migration.MigrateAsync());

        var moved = (await Catalog.ListAsync(tenant.Id)).Single(m => m.Id == idle.Id);
        Assert.Null(moved.Path);
        Assert.Equal(32, moved.Profile!.Width);
        Assert.False(Directory.Exists(idle.Path));
        Assert.True(File.Exists(Path.Combine(await Files.LocalFolderAsync(moved), "vocab.txt")));
        var platformWide = (await Catalog.ListAsync(null)).Single(m => m.Id == busy.Id);
        Assert.Equal(new StoredBaseModel(BaseModel.PlatformOwner, BaseModel.FolderOf(busy.Id)), platformWide.Stored);
        Assert.True(Directory.Exists(busy.Path), "a queued job still names the plain folder");

        await _database.ScalarAsync<int>($"WITH u AS (UPDATE jobs SET state = 'Cancelled' WHERE id = '{job}' RETURNING 1) SELECT count(*)::int FROM u");
        Assert.Equal(0, await migration.MigrateAsync());
        Assert.False(Directory.Exists(busy.Path));
        Assert.Null((await Catalog.FindAsync(null, platformWide.Name))!.Path);
    }

    private async Task<Result<Guid>> LaunchAsync(TestTenant tenant, LaunchJobRequest request)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(tenant.TenantId, tenant.UserId);
        return await scope.ServiceProvider.GetRequiredService<LaunchJobCommand>().ExecuteAsync(request);
    }

    private async Task<Guid> TextDatasetAsync(TestTenant tenant)
    {
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < 10; i++)
            csv.Append($"good film {i},pos\nbad film {i},neg\n");
        await using var scope = _host.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(tenant.TenantId, tenant.UserId);
        var result = await scope.ServiceProvider.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(
            new CreateDatasetRequest("Reviews", DatasetKind.Text, new MemoryStream(Encoding.UTF8.GetBytes(csv.ToString()))));
        Assert.True(result.IsSuccess, result.Error);
        return result.Value.Id;
    }
}
