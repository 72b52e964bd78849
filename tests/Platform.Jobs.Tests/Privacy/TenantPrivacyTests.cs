using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.Data;
using Platform.Data.ApiKeys;
using Platform.Data.Artifacts;
using Platform.Data.Datasets;
using Platform.Domain.Common;
using Platform.Domain.Datasets;
using Platform.Domain.Tenants;
using Platform.Jobs.Catalog;
using Platform.Jobs.Privacy;
using Platform.Jobs.Training;
using Platform.Testing;

namespace Platform.Jobs.Tests.Privacy;

/// <summary>Export, erasure and retention through the real container, database and store.</summary>
public sealed class TenantPrivacyTests : IAsyncLifetime
{
    private readonly TempDirectory _root = new();
    private PostgresDatabase _database = null!;
    private IHost _host = null!;
    private FakeClock _clock = null!;

    private string Storage => Path.Combine(_root.Path, "store");

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        _clock = new FakeClock(DateTimeOffset.UtcNow);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Platform"] = _database.ConnectionString,
            ["Storage:Root"] = Storage,
            ["Storage:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Data:Migrations"] = "Check",
        });
        builder.Services.AddSingleton<TimeProvider>(_clock);
        builder.AddPlatformData();
        builder.AddJobPortal();
        builder.AddTenantPrivacy();
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

    private async Task<T> AsAsync<T>(TestTenant tenant, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = _host.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentTenant>().Set(tenant.TenantId, tenant.UserId);
        return await action(scope.ServiceProvider);
    }

    private async Task<int> SqlAsync(string sql, params object[] values)
    {
        await using var command = _database.DataSource.CreateCommand(sql);
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        return await command.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql, params object[] values)
    {
        await using var command = _database.DataSource.CreateCommand(sql);
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Every table with a tenant_id column, and how many rows of the tenant it holds (views hold nothing of their own).</summary>
    private async Task<Dictionary<string, long>> RowsPerTableAsync(Guid tenantId)
    {
        var tables = new List<string>();
        await using (var command = _database.DataSource.CreateCommand(
            """
            SELECT c.table_name FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
            WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' ORDER BY c.table_name
            """))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                tables.Add(reader.GetString(0));
        var counts = new Dictionary<string, long>();
        foreach (var table in tables)
            counts[table] = await ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE tenant_id = $1", tenantId);
        counts["tenants"] = await ScalarAsync<long>("SELECT count(*) FROM tenants WHERE id = $1", tenantId);
        counts["invoice_lines"] = await ScalarAsync<long>(
            "SELECT count(*) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.tenant_id = $1", tenantId);
        return counts;
    }

    private static readonly string Csv = string.Concat(
        new[] { "text,label\n" }.Concat(Enumerable.Range(0, 10).Select(i => $"secret launch plan {i},pos\nboring memo {i},neg\n")));

    /// <summary>A tenant with rows in every tenant table, files in the store, a job folder and a private base model folder.</summary>
    private async Task<(Tenant Tenant, TestTenant Owner, Guid JobId, Guid InvoiceId)> FullTenantAsync(string name)
    {
        var (tenant, owner) = await Seed.TenantAsync(_database, name);
        var member = await Seed.MemberAsync(_database, tenant.Id);
        var text = await AsAsync(owner, sp => sp.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(
            new CreateDatasetRequest("Plans", DatasetKind.Text, new MemoryStream(Encoding.UTF8.GetBytes(Csv)))));
        Assert.True(text.IsSuccess, text.Error);
        var images = await AsAsync(owner, sp => sp.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(
            new CreateDatasetRequest("Pets", DatasetKind.Image, new MemoryStream(TestZip.Images(3, "cat", "dog").ToArray()))));
        Assert.True(images.IsSuccess, images.Error);
        var key = await AsAsync(owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("ci"));
        Assert.True(key.IsSuccess, key.Error);

        var folders = _host.Services.GetRequiredService<TenantFolders>();
        var job = Guid.NewGuid();
        var jobFolder = Path.Combine(folders.TenantJobs(tenant.Id)!, job.ToString("N"));
        Directory.CreateDirectory(Path.Combine(jobFolder, "model"));
        Directory.CreateDirectory(Path.Combine(jobFolder, "checkpoints", "checkpoint-00000010"));
        await File.WriteAllTextAsync(Path.Combine(jobFolder, "model", "config.json"), "{\"labels\":[\"neg\",\"pos\"]}");
        await File.WriteAllTextAsync(Path.Combine(jobFolder, "checkpoints", "checkpoint-00000010", "trainer_state.json"), "{}");
        // The model and a checkpoint as runs store them now: stored folders under the run's token.
        var run = JobFolders.Run(job, Guid.NewGuid());
        var stored = _host.Services.GetRequiredService<StoredFolders>();
        await stored.PutAsync(tenant.Id, JobFolders.Model(run), Path.Combine(jobFolder, "model"));
        await stored.PutAsync(tenant.Id, JobFolders.Checkpoint(run, 10), Path.Combine(jobFolder, "checkpoints"));
        var result = JsonSerializer.Serialize(new { modelFolder = JobFolders.Model(run), accuracy = 0.9 });
        await SqlAsync("""
            INSERT INTO jobs (id, tenant_id, kind, name, state, payload, result, created_by, started_at, finished_at)
            VALUES ($1, $2, 'train', 'plans-bert', 'Succeeded', '{}', $3::jsonb, $4, $5, $5)
            """, job, tenant.Id, result, owner.UserId!.Value, _clock.GetUtcNow().AddHours(-1));
        var worker = Guid.NewGuid();
        await SqlAsync("INSERT INTO workers (id, name, device_kind, device_name, slots) VALUES ($1, 'w', 'cpu', 'cpu', 1)", worker);
        await SqlAsync("INSERT INTO job_queue (job_id, tenant_id, priority) VALUES ($1, $2, 0)", job, tenant.Id);
        await SqlAsync("""
            INSERT INTO gang_ranks (job_id, rank, tenant_id, worker_id, lease_token, lease_expires_at, attempt, segment, gang_head)
            VALUES ($1, 1, $2, gen_random_uuid(), gen_random_uuid(), now(), 1, 1, 1)
            """, job, tenant.Id);
        // A webhook with a delivery, a notification and a read mark (issue 18's job-end notifications).
        var hook = Guid.NewGuid();
        await SqlAsync("INSERT INTO webhooks (id, tenant_id, url, secret, created_at) VALUES ($1, $2, 'https://example.com/h', 'whsec_x', now())", hook, tenant.Id);
        await SqlAsync("INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, payload, created_at) VALUES ($1, $2, $3, $1, 'job.succeeded', '{}', now())",
            Guid.NewGuid(), tenant.Id, hook);
        await SqlAsync("INSERT INTO notifications (id, tenant_id, job_id, type, title, created_at) VALUES ($1, $2, $3, 'job.succeeded', 'secret launch plan', now())",
            Guid.NewGuid(), tenant.Id, job);
        await SqlAsync("INSERT INTO notification_reads (tenant_id, user_id, read_up_to) VALUES ($1, $2, now())", tenant.Id, owner.UserId!.Value);
        await SqlAsync("INSERT INTO job_events (tenant_id, job_id, type, message) VALUES ($1, $2, 'log', 'epoch 1 on secret launch plan')", tenant.Id, job);
        await SqlAsync("INSERT INTO job_loss_points (tenant_id, job_id, step, total_steps, loss, learning_rate, attempt) VALUES ($1, $2, 1, 10, 0.7, 0.001, 1)",
            tenant.Id, job);
        var now = _clock.GetUtcNow();
        await SqlAsync("INSERT INTO usage_segments (job_id, attempt, segment, tenant_id, worker_id, device_kind, started_at, ended_at, closed) VALUES ($1, 1, 0, $2, $3, 'cpu', $4, $4, true)",
            job, tenant.Id, worker, now);
        await SqlAsync("INSERT INTO usage_ledger (idempotency_key, tenant_id, job_id, attempt, segment, worker_id, device_kind, started_at, ended_at, seconds) VALUES ($1, $2, $3, 1, 0, $4, 'cpu', $5, $5, 60)",
            $"{job:N}:1:0", tenant.Id, job, worker, now);
        await SqlAsync("INSERT INTO usage_hourly_totals (tenant_id, device_kind, hour, seconds, segments) VALUES ($1, 'cpu', date_trunc('hour', $2::timestamptz), 60, 1)",
            tenant.Id, now);
        await SqlAsync("INSERT INTO tenant_job_limits (tenant_id, max_concurrent) VALUES ($1, 2) ON CONFLICT DO NOTHING", tenant.Id);
        await SqlAsync("INSERT INTO tenant_quota_overrides (tenant_id, extra_gpu_hours) VALUES ($1, 5)", tenant.Id);
        await SqlAsync("INSERT INTO tenant_billing_details (tenant_id, legal_name, address_line1, city, country) VALUES ($1, $2, '1 Main St', 'Town', 'DE')",
            tenant.Id, name);
        var plan = Guid.NewGuid();
        await SqlAsync("""
            INSERT INTO billing_plans (id, code, name, currency, monthly_fee, included_gpu_hours, included_cpu_hours, gpu_overage_per_hour,
                cpu_overage_per_hour, max_concurrent_jobs, max_dataset_bytes, max_storage_bytes, cap_mode)
            VALUES ($1, $2, 'Starter', 'EUR', 49, 10, 100, 2, 0.1, 2, 0, 0, 'Hard')
            """, plan, $"starter-{plan:N}");
        await SqlAsync("INSERT INTO subscriptions (tenant_id, status, anchor) VALUES ($1, 'active', $2)", tenant.Id, now.AddMonths(-2));
        await SqlAsync("INSERT INTO subscription_plan_changes (tenant_id, effective_at, plan_id) VALUES ($1, $2, $3)", tenant.Id, now.AddMonths(-2), plan);
        var invoice = Guid.NewGuid();
        await SqlAsync("""
            INSERT INTO invoices (id, tenant_id, number, period_start, period_end, status, currency, total, gpu_seconds, cpu_seconds, ledger_rows, buyer_name)
            VALUES ($1, $2, $3, $4, $5, 'paid', 'EUR', 49, 0, 60, 1, $6)
            """, invoice, tenant.Id, $"INV-{invoice:N}"[..20], now.AddMonths(-2), now.AddMonths(-1), name);
        await SqlAsync("INSERT INTO invoice_lines (invoice_id, line_no, kind, description, seconds, unit_price, amount) VALUES ($1, 1, 'Fee', 'Starter', 0, 49, 49)", invoice);
        await SqlAsync("INSERT INTO credit_notes (id, tenant_id, invoice_id, number, amount, reason) VALUES ($1, $2, $3, $4, 5, 'goodwill')",
            Guid.NewGuid(), tenant.Id, invoice, $"CN-{invoice:N}"[..20]);
        await SqlAsync("""
            INSERT INTO invitations (id, tenant_id, email, role, token_hash, expires_at, created_by_user_id, created_at)
            VALUES ($1, $2, 'new@example.com', 'Member', $3, $4, $5, $4)
            """, Guid.NewGuid(), tenant.Id, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), now.AddDays(7), owner.UserId!.Value);
        await SqlAsync("INSERT INTO api_idempotency_keys (tenant_id, key, request_hash, status, body) VALUES ($1, 'retry-1', 'hash', 201, $2)",
            tenant.Id, "{\"id\":1}"u8.ToArray());
        // A private base model as the catalog keeps it: a stored folder in the tenant's artifact store.
        var registered = await _host.Services.GetRequiredService<BaseModelCatalog>().RegisterTextModelFolderAsync(new TextModelRegistration(
            tenant.Id, "private-bert", TestModels.WriteBert(Path.Combine(_root.Path, "src", Guid.NewGuid().ToString("N"))), "ours", "upload"));
        Assert.True(registered.IsSuccess, registered.Error);
        var baseModel = registered.Value.Id;
        var import = Guid.NewGuid();
        await SqlAsync("""
            INSERT INTO base_model_imports (id, tenant_id, name, description, source_kind, state, base_model_id)
            VALUES ($1, $2, 'private', 'ours', 'upload', 'done', $3)
            """, import, tenant.Id, baseModel);
        Directory.CreateDirectory(folders.Import(import)!);
        await File.WriteAllTextAsync(Path.Combine(folders.Import(import)!, "upload.zip"), "zip");
        Assert.NotNull(member);
        return (tenant, owner, job, invoice);
    }

    private Task<Result<ErasureSummary>> EraseAsync(TestTenant caller, Guid tenantId, string confirm) =>
        AsAsync(caller, sp => sp.GetRequiredService<EraseTenantCommand>().ExecuteAsync(tenantId, confirm));

    [Fact]
    public async Task Erase_TenantWithDataEverywhere_NothingRemainsButRetainedInvoices()
    {
        var (tenant, owner, _, invoice) = await FullTenantAsync("Erase Me Ltd");
        var (other, _, _, _) = await FullTenantAsync("Stays Ltd");
        var before = await RowsPerTableAsync(tenant.Id);
        // The seed reaches every table that holds tenant rows: a table added later without erasure fails here.
        Assert.Equal("", string.Join(", ", before.Where(t => t.Value == 0 && t.Key != "tenant_erasures").Select(t => t.Key)));
        var folders = _host.Services.GetRequiredService<TenantFolders>();
        var store = _host.Services.GetRequiredService<IArtifactStore>();
        Assert.NotEmpty(await store.ListAsync(tenant.Id).ToListAsync());
        var importFolder = folders.Import(await ScalarAsync<Guid>("SELECT id FROM base_model_imports WHERE tenant_id = $1", tenant.Id))!;
        Assert.True(Directory.Exists(importFolder));
        var catalog = _host.Services.GetRequiredService<BaseModelCatalog>();
        var privateModel = (await catalog.FindAsync(tenant.Id, "private-bert"))!;
        var privateFiles = await _host.Services.GetRequiredService<StoredFolders>().ListAsync(tenant.Id, privateModel.Folder!);
        Assert.NotEmpty(privateFiles);

        var erased = await EraseAsync(owner, tenant.Id, "Erase Me Ltd");

        Assert.True(erased.IsSuccess, erased.Error);
        var after = await RowsPerTableAsync(tenant.Id);
        var left = after.Where(t => t.Value > 0).Select(t => t.Key).Order().ToList();
        Assert.Equal(["audit_log", "credit_notes", "invoice_lines", "invoices", "tenant_erasures", "tenants"], left);
        // The audit log keeps the tenant's entries and adds the erasure's own (docs/decisions/0033).
        Assert.Equal(before["audit_log"] + 1, after["audit_log"]);
        Assert.Equal((before["invoices"], before["credit_notes"], before["invoice_lines"]),
            (after["invoices"], after["credit_notes"], after["invoice_lines"]));
        Assert.Equal("Erase Me Ltd", await ScalarAsync<string>("SELECT buyer_name FROM invoices WHERE id = $1", invoice));
        Assert.Equal("Erased", await ScalarAsync<string>("SELECT status FROM tenants WHERE id = $1", tenant.Id));
        Assert.Equal("Owner", await ScalarAsync<string>("SELECT requested_as FROM tenant_erasures WHERE tenant_id = $1", tenant.Id));
        Assert.Empty(await store.ListAsync(tenant.Id).ToListAsync());
        Assert.False(Directory.Exists(folders.TenantJobs(tenant.Id)));
        Assert.False(Directory.Exists(importFolder));
        // The private base model went with its bytes (the other rows are counted above).
        Assert.Null(await catalog.FindAsync(tenant.Id, "private-bert"));
        Assert.All(privateFiles, f => Assert.False(store.ExistsAsync(tenant.Id, f.Hash).Result));
        var otherModel = (await catalog.FindAsync(other.Id, "private-bert"))!;
        Assert.True(File.Exists(Path.Combine(await _host.Services.GetRequiredService<BaseModelFiles>().LocalFolderAsync(otherModel), "vocab.txt")));

        // The other organisation lost nothing and still reads its files.
        Assert.Equal("", string.Join(", ", (await RowsPerTableAsync(other.Id)).Where(t => t.Value == 0 && t.Key != "tenant_erasures").Select(t => t.Key)));
        var otherCsv = await ScalarAsync<string>("SELECT artifact_path FROM datasets WHERE tenant_id = $1 AND kind = 'Text'", other.Id);
        await using var read = await store.OpenReadAsync(other.Id, otherCsv);
        Assert.Contains("secret launch plan", await new StreamReader(read).ReadToEndAsync());
    }

    [Fact]
    public async Task Erase_TenantWithoutInvoices_DeletesTheTenantRowToo()
    {
        var (tenant, owner) = await Seed.TenantAsync(_database, "Short Lived");

        var erased = await EraseAsync(owner, tenant.Id, "Short Lived");

        Assert.True(erased.IsSuccess, erased.Error);
        Assert.False(erased.Value.TombstoneKept);
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM tenants WHERE id = $1", tenant.Id));
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM tenant_erasures WHERE tenant_id = $1", tenant.Id));
    }

    [Fact]
    public async Task Erase_WrongConfirmation_RefusedAndNothingLost()
    {
        var (tenant, owner, _, _) = await FullTenantAsync("Careful Corp");
        var before = await RowsPerTableAsync(tenant.Id);

        var erased = await EraseAsync(owner, tenant.Id, "careful corp");

        Assert.Equal(ResultStatus.BadRequest, erased.Status);
        Assert.Contains("Careful Corp", erased.Error);
        Assert.Equal(before, await RowsPerTableAsync(tenant.Id));
    }

    [Fact]
    public async Task Erase_JobStillQueued_Conflict()
    {
        var (tenant, owner) = await Seed.TenantAsync(_database, "Busy");
        await SqlAsync("INSERT INTO jobs (id, tenant_id, kind, name, state) VALUES ($1, $2, 'train', 'j', 'Queued')", Guid.NewGuid(), tenant.Id);

        var erased = await EraseAsync(owner, tenant.Id, "Busy");

        Assert.Equal(ResultStatus.Conflict, erased.Status);
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM tenants WHERE id = $1 AND status = 'Active'", tenant.Id));
    }

    [Fact]
    public async Task Erase_MemberOrOtherTenantsOwner_Forbidden_PlatformAdminAllowed()
    {
        var (tenant, _) = await Seed.TenantAsync(_database, "Target");
        var member = await Seed.MemberAsync(_database, tenant.Id);
        var (_, stranger) = await Seed.TenantAsync(_database, "Stranger");

        Assert.Equal(ResultStatus.Forbidden, (await EraseAsync(new TestTenant(tenant.Id, member.Id), tenant.Id, "Target")).Status);
        Assert.Equal(ResultStatus.Forbidden, (await EraseAsync(stranger, tenant.Id, "Target")).Status);

        var admin = await Seed.PlatformAdminAsync(_database);
        var erased = await EraseAsync(admin, tenant.Id, "Target");

        Assert.True(erased.IsSuccess, erased.Error);
        Assert.Equal("PlatformAdmin", await ScalarAsync<string>("SELECT requested_as FROM tenant_erasures WHERE tenant_id = $1", tenant.Id));
    }

    [Fact]
    public async Task Export_FullTenant_ZipHoldsDatasetsJobsModelsAndInvoices()
    {
        var (tenant, owner, job, invoice) = await FullTenantAsync("Export Me");

        var export = await AsAsync(owner, sp => sp.GetRequiredService<ExportTenantCommand>().ExecuteAsync(tenant.Id));

        Assert.True(export.IsSuccess, export.Error);
        await using var _ = export.Value;
        using var zip = new ZipArchive(export.Value.Zip, ZipArchiveMode.Read);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("datasets/Plans-v1/data.csv", names);
        Assert.Contains("datasets/Plans-v1/split.json", names);
        Assert.Contains("datasets/Pets-v1/manifest.jsonl", names);
        Assert.Equal(6, names.Count(n => n.StartsWith("datasets/Pets-v1/images/", StringComparison.Ordinal)));
        Assert.Contains($"models/{job:N}/config.json", names);
        Assert.Contains("base-models/private-bert/config.json", names);
        Assert.Contains("base-models/private-bert/model.safetensors", names);
        Assert.Contains("[CLS]", Read(zip, "base-models/private-bert/vocab.txt"));
        Assert.Contains("secret launch plan 3,pos", Read(zip, "datasets/Plans-v1/data.csv"));
        Assert.Equal(TestImages.Png(8, 6, 0), ReadBytes(zip, names.Single(n => n.StartsWith("datasets/Pets-v1/images/cat/", StringComparison.Ordinal) && n.EndsWith("-cat-0.png", StringComparison.Ordinal))));
        Assert.Contains(job.ToString(), Read(zip, "jobs.json"));
        Assert.Contains("epoch 1 on secret launch plan", Read(zip, "job-events.json"));
        var invoices = JsonDocument.Parse(Read(zip, "invoices.json")).RootElement;
        Assert.Equal(invoice, invoices[0].GetProperty("id").GetGuid());
        Assert.Equal(1, invoices[0].GetProperty("lines").GetArrayLength());
        Assert.Equal(1, invoices[0].GetProperty("credit_notes").GetArrayLength());
        Assert.DoesNotContain("secret_hash", Read(zip, "api-keys.json"));
        Assert.Equal(2, JsonDocument.Parse(Read(zip, "members.json")).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Export_NamesThatCleanAlike_EachDatasetInItsOwnFolder()
    {
        var (tenant, owner) = await Seed.TenantAsync(_database, "Alike Names");
        var ids = new Dictionary<string, Guid>();
        // "x/y" and "x:y" clean to "x_y", a name of its own; "X_y" differs from it only in case, which Windows and macOS ignore.
        foreach (var name in new[] { "x/y", "x_y", "x:y", "X_y" })
        {
            var csv = string.Concat(Enumerable.Range(0, 10).Select(i => $"rows of {name} {i},pos\nmore of {name} {i},neg\n"));
            var created = await AsAsync(owner, sp => sp.GetRequiredService<CreateDatasetCommand>().ExecuteAsync(
                new CreateDatasetRequest(name, DatasetKind.Text, new MemoryStream(Encoding.UTF8.GetBytes("text,label\n" + csv)))));
            Assert.True(created.IsSuccess, created.Error);
            ids[name] = created.Value.Id;
        }

        var export = await AsAsync(owner, sp => sp.GetRequiredService<ExportTenantCommand>().ExecuteAsync(tenant.Id));

        Assert.True(export.IsSuccess, export.Error);
        await using var _ = export.Value;
        using var zip = new ZipArchive(export.Value.Zip, ZipArchiveMode.Read);
        var data = zip.Entries.Select(e => e.FullName).Where(n => n.StartsWith("datasets/", StringComparison.Ordinal) && n.EndsWith("/data.csv", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, data.Count);
        Assert.Equal(4, data.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        // Each folder holds its own dataset; the names that had to change carry their dataset's id.
        foreach (var (name, id) in ids)
            Assert.Single(data, entry => Read(zip, entry).Contains($"rows of {name} 3,pos"));
        Assert.Contains("rows of x/y 3,pos", Read(zip, $"datasets/x_y-v1-{id8(ids["x/y"])}/data.csv"));
        Assert.Contains("rows of x:y 3,pos", Read(zip, $"datasets/x_y-v1-{id8(ids["x:y"])}/data.csv"));
        // Of the two typed as they are, whichever came first keeps the plain folder.
        Assert.Single(data, entry => entry is "datasets/x_y-v1/data.csv" or "datasets/X_y-v1/data.csv");

        static string id8(Guid id) => id.ToString("N")[^8..];
    }

    [Fact]
    public async Task Export_Member_Forbidden()
    {
        var (tenant, _) = await Seed.TenantAsync(_database, "Members Cannot");
        var member = await Seed.MemberAsync(_database, tenant.Id);

        var export = await AsAsync(new TestTenant(tenant.Id, member.Id), sp => sp.GetRequiredService<ExportTenantCommand>().ExecuteAsync(tenant.Id));

        Assert.Equal(ResultStatus.Forbidden, export.Status);
    }

    [Fact]
    public async Task Retention_OldFinishedJob_CheckpointsAndOldEventsGoModelStays()
    {
        var (tenant, _, job, _) = await FullTenantAsync("Keeps Little");
        // The plan keeps checkpoints 30 days and events 90 (the defaults of the migration).
        var folder = Path.Combine(_host.Services.GetRequiredService<TenantFolders>().TenantJobs(tenant.Id)!, job.ToString("N"));
        var sweep = _host.Services.GetRequiredService<RetentionSweep>();
        Assert.Equal(new RetentionPolicy(30, 90), await sweep.PolicyAsync(tenant.Id));

        var stored = _host.Services.GetRequiredService<StoredFolders>();
        Assert.Equal(new RetentionResult(0, 0), await sweep.RunAsync());
        Assert.True(Directory.Exists(Path.Combine(folder, "checkpoints")));
        Assert.Equal(2, (await stored.FoldersAsync(tenant.Id, JobFolders.Runs(job)).ToListAsync()).Count);

        _clock.Advance(TimeSpan.FromDays(31));
        Assert.Equal(new RetentionResult(1, 0), await sweep.RunAsync());
        Assert.False(Directory.Exists(Path.Combine(folder, "checkpoints")));
        Assert.True(File.Exists(Path.Combine(folder, "model", "config.json")));
        // In the store too: the checkpoint went, the model stayed, and its bytes are still readable.
        var left = await stored.FoldersAsync(tenant.Id, JobFolders.Runs(job)).ToListAsync();
        Assert.Equal(JobFolders.ModelName, Assert.Single(left).Split('/')[^1]);
        await using (var config = await stored.OpenReadAsync(tenant.Id, left[0], "config.json"))
            Assert.Contains("labels", await new StreamReader(config).ReadToEndAsync());
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM job_events WHERE job_id = $1", job));

        _clock.Advance(TimeSpan.FromDays(60));
        Assert.Equal(new RetentionResult(0, 1), await sweep.RunAsync());
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM job_events WHERE job_id = $1", job));
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM jobs WHERE id = $1", job));
        Assert.Equal(new RetentionResult(0, 0), await sweep.RunAsync());
    }

    [Fact]
    public async Task Retention_FinishedJobQueuedAgainAfterASweep_IsSweptAgainWhenItFinishesAgain()
    {
        var (tenant, _, job, _) = await FullTenantAsync("Retries Late");
        var sweep = _host.Services.GetRequiredService<RetentionSweep>();
        var stored = _host.Services.GetRequiredService<StoredFolders>();
        _clock.Advance(TimeSpan.FromDays(31));
        Assert.Equal(1, (await sweep.RunAsync()).JobsSwept);

        // Queued again (a retry), it trains, stores a checkpoint under its new run and finishes again.
        await SqlAsync("UPDATE jobs SET state = 'Queued', finished_at = NULL WHERE id = $1", job);
        var checkpoint = Path.Combine(_root.Path, "again");
        Directory.CreateDirectory(Path.Combine(checkpoint, "checkpoint-00000020"));
        await File.WriteAllTextAsync(Path.Combine(checkpoint, "checkpoint-00000020", "trainer_state.json"), "{\"step\":20}");
        await stored.PutAsync(tenant.Id, JobFolders.Checkpoint(JobFolders.Run(job, Guid.NewGuid()), 20), checkpoint);
        _clock.Advance(TimeSpan.FromHours(2));
        await SqlAsync("UPDATE jobs SET state = 'Succeeded', finished_at = $2 WHERE id = $1", job, _clock.GetUtcNow());
        Assert.Equal(0, (await sweep.RunAsync()).JobsSwept);

        _clock.Advance(TimeSpan.FromDays(31));
        Assert.Equal(1, (await sweep.RunAsync()).JobsSwept);
        Assert.DoesNotContain(await stored.FoldersAsync(tenant.Id, JobFolders.Runs(job)).ToListAsync(), JobFolders.IsCheckpoint);
        Assert.Equal(0, (await sweep.RunAsync()).JobsSwept);
    }

    [Fact]
    public async Task Retention_PlanWithShorterRetention_AppliesPlanNotDefault()
    {
        var (tenant, _, job, _) = await FullTenantAsync("Short Plan");
        await SqlAsync("""
            UPDATE billing_plans SET checkpoint_retention_days = 2, event_retention_days = 3
            WHERE id = (SELECT plan_id FROM subscription_plan_changes WHERE tenant_id = $1)
            """, tenant.Id);
        var sweep = _host.Services.GetRequiredService<RetentionSweep>();
        Assert.Equal(new RetentionPolicy(2, 3), await sweep.PolicyAsync(tenant.Id));

        _clock.Advance(TimeSpan.FromDays(4));

        Assert.Equal(new RetentionResult(1, 1), await sweep.RunAsync());
    }

    [Fact]
    public async Task Retention_RunningJob_KeepsItsEvents()
    {
        var (tenant, _) = await Seed.TenantAsync(_database, "Long Runner");
        var job = Guid.NewGuid();
        await SqlAsync("INSERT INTO jobs (id, tenant_id, kind, name, state) VALUES ($1, $2, 'train', 'j', 'Running')", job, tenant.Id);
        await SqlAsync("INSERT INTO job_events (tenant_id, job_id, type, message, at) VALUES ($1, $2, 'log', 'still going', $3)",
            tenant.Id, job, _clock.GetUtcNow());
        _clock.Advance(TimeSpan.FromDays(365));

        Assert.Equal(new RetentionResult(0, 0), await _host.Services.GetRequiredService<RetentionSweep>().RunAsync());
    }

    private static string Read(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    private static byte[] ReadBytes(ZipArchive zip, string name)
    {
        using var stream = zip.GetEntry(name)!.Open();
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private sealed class FakeClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
