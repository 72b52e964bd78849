using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Data;
using Platform.Domain.Common;
using Platform.Jobs.Catalog;
using Platform.Jobs.Catalog.Imports;
using Platform.Testing;

namespace Platform.Jobs.Tests.Catalog;

/// <summary>
/// Imports end to end through the real container: the Hub stand-in over HTTP, the import service in
/// the host, real PostgreSQL, the real native library loading what was downloaded.
/// </summary>
public sealed class ModelImportTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("platform-import-test-").FullName;
    private readonly List<IHost> _hosts = [];
    private PostgresDatabase _database = null!;
    private HubStandIn _hub = null!;
    private IHost _host = null!;

    private string CatalogRoot => Path.Combine(_root, "catalog");

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        _hub = await HubStandIn.StartAsync();
        _host = await StartHostAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }
        await _hub.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private async Task<IHost> StartHostAsync(string? token = "hf_test_token", int retries = 2, bool start = true)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _database.ConnectionString,
            ["Storage:Root"] = _root,
            ["Data:Migrations"] = "Check",
            ["HuggingFace:Endpoint"] = _hub.Endpoint,
            ["HuggingFace:Token"] = token,
            ["HuggingFace:Retries"] = retries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["HuggingFace:RetryDelay"] = "00:00:00",
            ["HuggingFace:Timeout"] = "00:00:20",
            ["Catalog:ImportPollInterval"] = "00:00:00.100",
            ["Catalog:ImportLease"] = "00:00:03",
            ["Catalog:ProgressEvery"] = "00:00:00.050",
        });
        builder.AddPlatformData();
        builder.AddJobPortal();
        builder.AddModelCatalogImports();
        var host = builder.Build();
        _hosts.Add(host);
        if (start)
            await host.StartAsync();
        return host;
    }

    private async Task<T> AsAsync<T>(TestTenant who, Func<IServiceProvider, Task<T>> action, IHost? host = null)
    {
        await using var scope = (host ?? _host).Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(who.TenantId, who.UserId);
        return await action(scope.ServiceProvider);
    }

    private Task<Result<Guid>> StartAsync(TestTenant who, StartHubImportRequest request, IHost? host = null) =>
        AsAsync(who, sp => sp.GetRequiredService<StartHubImportCommand>().ExecuteAsync(request), host);

    private BaseModelCatalog Catalog => _host.Services.GetRequiredService<BaseModelCatalog>();

    /// <summary>The imported model's files as a worker gets them: decrypted from the artifact store into the cache.</summary>
    private Task<string> LocalFolderAsync(BaseModel model) => _host.Services.GetRequiredService<BaseModelFiles>().LocalFolderAsync(model);

    private async Task<BaseModelImport> ImportAsync(Guid id, Guid? tenantId)
    {
        var who = new TestTenant(tenantId, null);
        var imports = await AsAsync(who, sp => sp.GetRequiredService<ListBaseModelImportsQuery>().ExecuteAsync(platformWide: tenantId is null, limit: 100));
        return imports.Single(i => i.Id == id);
    }

    /// <summary>Polls the import until it has finished (done, failed or cancelled), or fails the test after a minute.</summary>
    private async Task<BaseModelImport> FinishedAsync(Guid id, Guid? tenantId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var import = await ImportAsync(id, tenantId);
            if (!import.IsActive)
                return import;
            Assert.True(DateTime.UtcNow < deadline, $"import still {import.State} at {import.BytesDone} bytes");
            await Task.Delay(50);
        }
    }

    private HubRepo AddBert(string repoId, bool bare = true, bool gated = false)
    {
        var folder = TestModels.WriteBert(Path.Combine(_root, "src", repoId.Replace('/', '_')), bare);
        return _hub.AddRepo(repoId, gated).AddFolder(folder).AddFile("README.md", Encoding.UTF8.GetBytes("# a tiny model\n"));
    }

    [Fact]
    public async Task HubImport_PrivateBareEncoder_IsVerifiedLoadedAndOnlyItsTenantSeesIt()
    {
        var repo = AddBert("sentence-transformers/tiny-MiniLM");
        var (tenant, owner) = await Seed.TenantAsync(_database);
        var (other, stranger) = await Seed.TenantAsync(_database);

        var started = await StartAsync(owner, new StartHubImportRequest("sentence-transformers/tiny-MiniLM"));

        Assert.True(started.IsSuccess, started.Error);
        var import = await FinishedAsync(started.Value, tenant.Id);
        Assert.True(import.State == ImportStates.Done, import.Error);
        Assert.Equal(repo.MainCommit, import.CommitSha);
        Assert.Equal(import.BytesTotal, import.BytesDone);
        var model = await Catalog.FindAsync(tenant.Id, "tiny-MiniLM");
        Assert.NotNull(model);
        Assert.Equal(import.BaseModelId, model.Id);
        Assert.Equal(tenant.Id, model.TenantId);
        Assert.Equal($"hf:sentence-transformers/tiny-MiniLM@{repo.MainCommit}", model.Source);
        Assert.Equal("bert", model.Architecture);
        Assert.True(model.Parameters > 10_000);
        Assert.Null(model.Path);
        Assert.True(File.Exists(Path.Combine(await LocalFolderAsync(model), "model.safetensors")));
        // Stored in the tenant's store, encrypted: the downloaded config and vocabulary are nowhere in the clear there.
        var source = Path.Combine(_root, "src", "sentence-transformers_tiny-MiniLM");
        var plain = new[] { File.ReadAllBytes(Path.Combine(source, "config.json")), File.ReadAllBytes(Path.Combine(source, "vocab.txt")) };
        var stored = Directory.GetFiles(Path.Combine(_root, "tenants", tenant.Id.ToString("N")), "*", SearchOption.AllDirectories);
        Assert.True(stored.Length >= 3);
        Assert.All(stored, f => Assert.All(plain, p => Assert.True(File.ReadAllBytes(f).AsSpan().IndexOf(p) < 0, $"{f} holds a model file in the clear")));
        Assert.False(Directory.Exists(Path.Combine(CatalogRoot, "imports", import.Id.ToString("N"))), "the import's work folder is removed");
        // The token goes to the Hub, never to the CDN the weights were redirected to.
        var weights = _hub.RequestsFor(repo.Id, "model.safetensors");
        Assert.Contains(weights, r => r.Kind == "resolve" && r.Authorization == "Bearer hf_test_token");
        Assert.Contains(weights, r => r.Kind == "cdn" && r.Authorization == "");
        Assert.DoesNotContain(_hub.Requests, r => r.File == "README.md");

        Assert.Null(await Catalog.FindAsync(other.Id, "tiny-MiniLM"));
        Assert.DoesNotContain(await Catalog.ListAsync(other.Id), m => m.Name == "tiny-MiniLM");
        Assert.DoesNotContain(await Catalog.ListAsync(null), m => m.Name == "tiny-MiniLM");
        Assert.Contains(await Catalog.ListAsync(tenant.Id), m => m.Name == "tiny-MiniLM");
        Assert.Empty(await AsAsync(stranger, sp => sp.GetRequiredService<ListBaseModelImportsQuery>().ExecuteAsync()));
    }

    [Fact]
    public async Task HubImport_PlatformWideDistilBert_EveryTenantSeesIt()
    {
        var folder = TestModels.WriteDistilBert(Path.Combine(_root, "src", "distil"));
        _hub.AddRepo("distilbert/tiny-distilbert-uncased").AddFolder(folder);
        var admin = await Seed.PlatformAdminAsync(_database);
        var (first, _) = await Seed.TenantAsync(_database);
        var (second, _) = await Seed.TenantAsync(_database);

        var started = await StartAsync(admin, new StartHubImportRequest("https://huggingface.co/distilbert/tiny-distilbert-uncased",
            "main", "distil-tiny", PlatformWide: true));

        Assert.True(started.IsSuccess, started.Error);
        var import = await FinishedAsync(started.Value, null);
        Assert.True(import.State == ImportStates.Done, import.Error);
        foreach (var tenantId in new Guid?[] { first.Id, second.Id, null })
        {
            var model = await Catalog.FindAsync(tenantId, "distil-tiny");
            Assert.NotNull(model);
            Assert.Null(model.TenantId);
            Assert.Equal("distilbert", model.Architecture);
        }
    }

    [Fact]
    public async Task HubImport_WeightsNotMatchingTheHubsSha256_FailsAndAddsNothing()
    {
        var folder = TestModels.WriteBert(Path.Combine(_root, "src", "sha"));
        _hub.AddRepo("org/tampered").AddFolder(folder)
            .AddFile("model.safetensors", File.ReadAllBytes(Path.Combine(folder, "model.safetensors")), advertisedSha256: new string('a', 64));
        var (tenant, owner) = await Seed.TenantAsync(_database);

        var started = await StartAsync(owner, new StartHubImportRequest("org/tampered"));

        var import = await FinishedAsync(started.Value, tenant.Id);
        Assert.Equal(ImportStates.Failed, import.State);
        Assert.Contains("SHA-256", import.Error);
        Assert.Contains("nothing was imported", import.Error);
        Assert.Null(await Catalog.FindAsync(tenant.Id, "tampered"));
        Assert.False(Directory.Exists(Path.Combine(CatalogRoot, "imports", import.Id.ToString("N"))));
    }

    [Fact]
    public async Task HubImport_ConnectionDroppedMidFile_ResumesWithARangeRequest()
    {
        var repo = AddBert("org/flaky", bare: false);
        _hub.DropConnection(repo.Id, "model.safetensors", afterBytes: 20_000);
        var (tenant, owner) = await Seed.TenantAsync(_database);

        var started = await StartAsync(owner, new StartHubImportRequest("org/flaky"));

        var import = await FinishedAsync(started.Value, tenant.Id);
        Assert.True(import.State == ImportStates.Done, import.Error);
        var downloads = _hub.RequestsFor(repo.Id, "model.safetensors").Where(r => r.Kind == "cdn").ToList();
        Assert.Equal(["", "bytes=20000-"], downloads.Select(r => r.Range));
        var model = (await Catalog.FindAsync(tenant.Id, "flaky"))!;
        var served = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(_root, "src", "org_flaky", "model.safetensors"))));
        Assert.Equal(served, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(await LocalFolderAsync(model), "model.safetensors")))));
    }

    [Fact]
    public async Task HubImport_HostStoppedMidDownload_NextHostResumesFromThePartialFile()
    {
        var repo = AddBert("org/interrupted", bare: false);
        var hold = _hub.HoldDownload(repo.Id, "model.safetensors", afterBytes: 30_000);
        var (tenant, owner) = await Seed.TenantAsync(_database);
        var started = await StartAsync(owner, new StartHubImportRequest("org/interrupted"));
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while ((await ImportAsync(started.Value, tenant.Id)) is not { BytesDone: >= 30_000, CurrentFile: "model.safetensors" })
        {
            Assert.True(DateTime.UtcNow < deadline, "the download never reached the held point");
            await Task.Delay(50);
        }

        // A restart: this host stops (handing the import back), another one starts.
        await _host.StopAsync();
        hold.TrySetResult();
        var stopped = await ImportAsync(started.Value, tenant.Id);
        Assert.Equal(ImportStates.Downloading, stopped.State);
        _host = await StartHostAsync();

        var import = await FinishedAsync(started.Value, tenant.Id);
        Assert.True(import.State == ImportStates.Done, import.Error);
        var downloads = _hub.RequestsFor(repo.Id, "model.safetensors").Where(r => r.Kind == "cdn").ToList();
        Assert.Equal(2, downloads.Count);
        Assert.Equal("bytes=30000-", downloads[1].Range);
        // Files finished before the stop were not fetched again.
        Assert.Single(_hub.RequestsFor(repo.Id, "vocab.txt"));
    }

    [Fact]
    public async Task HubImport_LeftBehindByACrashedInstance_IsClaimedAgainAfterItsLease()
    {
        var repo = AddBert("org/orphan", bare: false);
        var (tenant, owner) = await Seed.TenantAsync(_database);
        // Another instance's import, never finished: a lease that ran out and half of the weights on disk.
        await _host.StopAsync();
        var started = await StartAsync(owner, new StartHubImportRequest("org/orphan"));
        var id = started.Value;
        var weights = File.ReadAllBytes(Path.Combine(_root, "src", "org_orphan", "model.safetensors"));
        var work = Directory.CreateDirectory(Path.Combine(CatalogRoot, "imports", id.ToString("N"))).FullName;
        File.WriteAllBytes(Path.Combine(work, "model.safetensors.part"), weights[..25_000]);
        await _database.ScalarAsync<int>($"""
            UPDATE base_model_imports SET state = 'downloading', commit_sha = '{repo.MainCommit}', lease_token = gen_random_uuid(),
                lease_expires_at = now() - interval '1 second', attempts = 1
            WHERE id = '{id}' RETURNING 1
            """);

        _host = await StartHostAsync();

        var import = await FinishedAsync(id, tenant.Id);
        Assert.True(import.State == ImportStates.Done, import.Error);
        Assert.Equal("bytes=25000-", _hub.RequestsFor(repo.Id, "model.safetensors").Single(r => r.Kind == "cdn").Range);
    }

    [Fact]
    public async Task HubImport_PickleOnlyCheckpoint_IsRefusedWithoutDownloadingIt()
    {
        var folder = TestModels.WriteBert(Path.Combine(_root, "src", "pickle"));
        _hub.AddRepo("prajjwal1/tiny-pickle")
            .AddFile("config.json", File.ReadAllBytes(Path.Combine(folder, "config.json")))
            .AddFile("vocab.txt", File.ReadAllBytes(Path.Combine(folder, "vocab.txt")))
            .AddFile("pytorch_model.bin", RandomNumberGenerator.GetBytes(4096));
        var (tenant, owner) = await Seed.TenantAsync(_database);

        var started = await StartAsync(owner, new StartHubImportRequest("prajjwal1/tiny-pickle"));

        var import = await FinishedAsync(started.Value, tenant.Id);
        Assert.Equal(ImportStates.Failed, import.State);
        Assert.Contains("pickle", import.Error);
        Assert.Contains("model.safetensors", import.Error);
        Assert.Contains("refs/pr/", import.Error);
        Assert.Empty(_hub.RequestsFor("prajjwal1/tiny-pickle", "pytorch_model.bin"));
    }

    [Fact]
    public async Task HubImport_UnsupportedArchitecture_IsRefusedBeforeTheWeights()
    {
        var folder = TestModels.WriteBert(Path.Combine(_root, "src", "gpt"));
        _hub.AddRepo("openai-community/tiny-gpt2").AddFolder(folder)
            .AddFile("config.json", Encoding.UTF8.GetBytes("""{"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 40}"""));
        var (tenant, owner) = await Seed.TenantAsync(_database);

        var started = await StartAsync(owner, new StartHubImportRequest("openai-community/tiny-gpt2"));

        var import = await FinishedAsync(started.Value, tenant.Id);
        Assert.Equal(ImportStates.Failed, import.State);
        Assert.Contains("'gpt2'", import.Error);
        Assert.Contains("DistilBERT", import.Error);
        Assert.Empty(_hub.RequestsFor("openai-community/tiny-gpt2", "model.safetensors"));
    }

    [Fact]
    public async Task HubImport_ConfigOfUnsupportedVariant_IsRefusedWithTheConfigsReason()
    {
        var folder = TestModels.WriteBert(Path.Combine(_root, "src", "relative"));
        var config = File.ReadAllText(Path.Combine(folder, "config.json"))
            .Replace("\"absolute\"", "\"relative_key\"", StringComparison.Ordinal);
        _hub.AddRepo("org/relative-bert").AddFolder(folder).AddFile("config.json", Encoding.UTF8.GetBytes(config));
        var (tenant, owner) = await Seed.TenantAsync(_database);

        var started = await StartAsync(owner, new StartHubImportRequest("org/relative-bert"));

        var import = await FinishedAsync(started.Value, tenant.Id);
        Assert.Equal(ImportStates.Failed, import.State);
        Assert.Contains("position_embedding_type 'relative_key' is not supported", import.Error);
        Assert.Empty(_hub.RequestsFor("org/relative-bert", "model.safetensors"));
    }

    [Fact]
    public async Task HubImport_GatedRepoWithoutToken_FailsSayingHow()
    {
        AddBert("google/gated-bert", gated: true);
        var (tenant, owner) = await Seed.TenantAsync(_database);
        await _host.StopAsync();
        var tokenless = await StartHostAsync(token: null);

        var started = await StartAsync(owner, new StartHubImportRequest("google/gated-bert"), tokenless);

        var import = await FinishedAsync(started.Value, tenant.Id);
        Assert.Equal(ImportStates.Failed, import.State);
        Assert.Contains("gated", import.Error);
        Assert.Contains("HuggingFace:Token", import.Error);
        Assert.Contains(_hub.RequestsFor("google/gated-bert", "config.json"), r => r.Authorization == "");
    }

    [Fact]
    public async Task HubImport_GatedRepoWithToken_Succeeds()
    {
        AddBert("google/gated-ok", gated: true);
        var (tenant, owner) = await Seed.TenantAsync(_database);

        var started = await StartAsync(owner, new StartHubImportRequest("google/gated-ok"));

        var import = await FinishedAsync(started.Value, tenant.Id);
        Assert.True(import.State == ImportStates.Done, import.Error);
    }

    [Fact]
    public async Task HubImport_UnknownRepoOrRevision_FailsSayingWhich()
    {
        AddBert("org/known");
        var (tenant, owner) = await Seed.TenantAsync(_database);

        var missingRepo = await StartAsync(owner, new StartHubImportRequest("org/unknown"));
        var missingRevision = await StartAsync(owner, new StartHubImportRequest("org/known", "v9"));

        Assert.Contains("No model 'org/unknown'", (await FinishedAsync(missingRepo.Value, tenant.Id)).Error);
        Assert.Contains("no revision 'v9'", (await FinishedAsync(missingRevision.Value, tenant.Id)).Error);
    }

    [Fact]
    public async Task HubImport_PullRequestRevision_DownloadsThatCommit()
    {
        var folder = TestModels.WriteBert(Path.Combine(_root, "src", "pr"));
        var repo = _hub.AddRepo("prajjwal1/bert-pr")
            .AddFile("config.json", File.ReadAllBytes(Path.Combine(folder, "config.json")))
            .AddFile("vocab.txt", File.ReadAllBytes(Path.Combine(folder, "vocab.txt")))
            .AddFile("pytorch_model.bin", RandomNumberGenerator.GetBytes(1024));
        var commit = repo.AddRevision("refs/pr/3", Directory.GetFiles(folder).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))));
        var (tenant, owner) = await Seed.TenantAsync(_database);

        var started = await StartAsync(owner, new StartHubImportRequest("prajjwal1/bert-pr", "refs/pr/3"));

        var import = await FinishedAsync(started.Value, tenant.Id);
        Assert.True(import.State == ImportStates.Done, import.Error);
        Assert.Equal(commit, import.CommitSha);
        Assert.Contains(_hub.Requests, r => r.Kind == "info" && r.Target.Contains("/revision/refs%2Fpr%2F3", StringComparison.Ordinal));
        Assert.All(_hub.RequestsFor(repo.Id, "model.safetensors").Where(r => r.Kind == "resolve"),
            r => Assert.Contains($"/resolve/{commit}/", r.Target));
    }

    [Fact]
    public async Task HubImport_DownloadKeepsFailing_FailsThenRetryResumes()
    {
        var repo = AddBert("org/unstable", bare: false);
        // No retries within the import: the dropped connection fails it.
        _hub.DropConnection(repo.Id, "model.safetensors", afterBytes: 10_000, times: 1);
        var (tenant, owner) = await Seed.TenantAsync(_database);
        await _host.StopAsync();
        _host = await StartHostAsync(retries: 0);

        var started = await StartAsync(owner, new StartHubImportRequest("org/unstable"));
        var failed = await FinishedAsync(started.Value, tenant.Id);
        Assert.Equal(ImportStates.Failed, failed.State);
        Assert.Contains("Retry resumes the download", failed.Error);

        var retried = await AsAsync(owner, sp => sp.GetRequiredService<RetryBaseModelImportCommand>().ExecuteAsync(started.Value));

        Assert.True(retried.IsSuccess, retried.Error);
        var import = await FinishedAsync(started.Value, tenant.Id);
        Assert.True(import.State == ImportStates.Done, import.Error);
        Assert.Equal("bytes=10000-", _hub.RequestsFor(repo.Id, "model.safetensors").Where(r => r.Kind == "cdn").Last().Range);
    }

    [Fact]
    public async Task Cancel_DownloadUnderWay_StopsItAndRemovesItsFiles()
    {
        var repo = AddBert("org/cancelled", bare: false);
        var hold = _hub.HoldDownload(repo.Id, "model.safetensors", afterBytes: 10_000);
        var (tenant, owner) = await Seed.TenantAsync(_database);
        var started = await StartAsync(owner, new StartHubImportRequest("org/cancelled"));
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while ((await ImportAsync(started.Value, tenant.Id)).BytesDone < 10_000)
        {
            Assert.True(DateTime.UtcNow < deadline);
            await Task.Delay(50);
        }

        var cancelled = await AsAsync(owner, sp => sp.GetRequiredService<CancelBaseModelImportCommand>().ExecuteAsync(started.Value));

        Assert.True(cancelled.IsSuccess, cancelled.Error);
        var import = await FinishedAsync(started.Value, tenant.Id);
        hold.TrySetResult();
        Assert.Equal(ImportStates.Cancelled, import.State);
        Assert.False(Directory.Exists(Path.Combine(CatalogRoot, "imports", import.Id.ToString("N"))));
        Assert.Null(await Catalog.FindAsync(tenant.Id, "cancelled"));
    }

    [Fact]
    public async Task CancelAndRetry_AnotherTenantsImport_AreNotFound()
    {
        var (tenant, owner) = await Seed.TenantAsync(_database);
        var (_, stranger) = await Seed.TenantAsync(_database);
        await _host.StopAsync();
        var started = await StartAsync(owner, new StartHubImportRequest("org/theirs"));

        var cancelled = await AsAsync(stranger, sp => sp.GetRequiredService<CancelBaseModelImportCommand>().ExecuteAsync(started.Value));
        var retried = await AsAsync(stranger, sp => sp.GetRequiredService<RetryBaseModelImportCommand>().ExecuteAsync(started.Value));
        var seen = await AsAsync(stranger, sp => sp.GetRequiredService<ListBaseModelImportsQuery>().GetAsync(started.Value));

        Assert.Equal(ResultStatus.NotFound, cancelled.Status);
        Assert.Equal(ResultStatus.Conflict, retried.Status);
        Assert.Null(seen);
        Assert.Equal(ImportStates.Queued, (await ImportAsync(started.Value, tenant.Id)).State);
    }

    [Fact]
    public async Task StartHubImport_WhoAndWhat_IsCheckedBeforeQueuing()
    {
        var (tenant, owner) = await Seed.TenantAsync(_database);
        var member = await Seed.MemberAsync(_database, tenant.Id);
        // Nothing processes what is queued here: the name stays reserved by the queued import.
        await _host.StopAsync();
        var asMember = new TestTenant(tenant.Id, member.Id);

        Assert.Equal(ResultStatus.Forbidden, (await StartAsync(asMember, new StartHubImportRequest("org/model"))).Status);
        Assert.Equal(ResultStatus.Forbidden, (await StartAsync(owner, new StartHubImportRequest("org/model", PlatformWide: true))).Status);
        Assert.Equal(ResultStatus.BadRequest, (await StartAsync(owner, new StartHubImportRequest("../etc/passwd"))).Status);
        Assert.Equal(ResultStatus.BadRequest, (await StartAsync(owner, new StartHubImportRequest("org/model", "bad revision"))).Status);
        Assert.True((await StartAsync(owner, new StartHubImportRequest("org/model", Name: "mine"))).IsSuccess);
        var again = await StartAsync(owner, new StartHubImportRequest("org/other", Name: "mine"));
        Assert.Equal(ResultStatus.Conflict, again.Status);
        Assert.Contains("already under way", again.Error);
    }

    [Fact]
    public async Task UploadedZip_ModelFolderInAFolder_IsExtractedValidatedAndAdded()
    {
        var folder = TestModels.WriteDistilBert(Path.Combine(_root, "src", "zip"));
        var zip = TestModels.Zip(folder, "my-distilbert", ("my-distilbert/README.md", "hello"u8.ToArray()));
        var (tenant, owner) = await Seed.TenantAsync(_database);

        var started = await AsAsync(owner, sp => sp.GetRequiredService<StartUploadedModelImportCommand>()
            .ExecuteAsync(new UploadedModelRequest("support-distil", "from my laptop"), new MemoryStream(zip)));

        Assert.True(started.IsSuccess, started.Error);
        var import = await FinishedAsync(started.Value, tenant.Id);
        Assert.True(import.State == ImportStates.Done, import.Error);
        var model = (await Catalog.FindAsync(tenant.Id, "support-distil"))!;
        Assert.Equal("upload", model.Source);
        Assert.Equal("distilbert", model.Architecture);
        Assert.False(File.Exists(Path.Combine(await LocalFolderAsync(model), "README.md")));
    }

    [Theory]
    [InlineData("traversal", "climbs out")]
    [InlineData("pickle", "pickle")]
    [InlineData("no-vocab", "no vocab.txt")]
    [InlineData("not-a-zip", "not a valid ZIP")]
    [InlineData("bomb", "zip bomb")]
    [InlineData("no-config", "no config.json")]
    [InlineData("no-weights", "no model.safetensors")]
    public async Task UploadedZip_Unsafe_IsRefusedAtOnce(string kind, string expected)
    {
        var folder = TestModels.WriteBert(Path.Combine(_root, "src", "bad-" + kind));
        var zip = kind switch
        {
            "traversal" => TestModels.Zip(folder, null, ("../../evil.txt", "x"u8.ToArray())),
            "pickle" => Without(folder, "model.safetensors", ("pytorch_model.bin", new byte[64])),
            "no-vocab" => Without(folder, "vocab.txt"),
            "no-config" => Without(folder, "config.json"),
            "no-weights" => Without(folder, "model.safetensors"),
            // 16 MiB of zeros deflate to about 16 KiB: a thousandfold expansion.
            "bomb" => TestModels.Zip(folder, null, ("padding.bin", new byte[16 << 20])),
            _ => "just text"u8.ToArray(),
        };
        var (tenant, owner) = await Seed.TenantAsync(_database);

        var started = await AsAsync(owner, sp => sp.GetRequiredService<StartUploadedModelImportCommand>()
            .ExecuteAsync(new UploadedModelRequest("bad"), new MemoryStream(zip)));

        Assert.Equal(ResultStatus.BadRequest, started.Status);
        Assert.Contains(expected, started.Error);
        Assert.Equal(0L, await _database.ScalarAsync<long>("SELECT count(*) FROM base_model_imports"));
        Assert.Empty(Directory.Exists(Path.Combine(CatalogRoot, "imports")) ? Directory.GetDirectories(Path.Combine(CatalogRoot, "imports")) : []);
        Assert.Equal(0L, await _database.ScalarAsync<long>($"SELECT count(*) FROM base_models WHERE tenant_id = '{tenant.Id}'"));
        Assert.Equal(0L, await _database.ScalarAsync<long>($"SELECT count(*) FROM stored_folder_files WHERE tenant_id = '{tenant.Id}'"));
    }

    private static byte[] Without(string folder, string file, params (string Name, byte[] Content)[] extra)
    {
        File.Delete(Path.Combine(folder, file));
        return TestModels.Zip(folder, null, extra);
    }
}
