using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.Identity;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

public sealed class AdminAndKeysPageTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task WorkersPage_Admin_ListsWorkerWithItsRunningJob()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var jobId = await JobTestKit.LaunchAsync(portal, owner, await JobTestKit.UploadCsvAsync(owner.Client, "worker-data"));
        var workerId = Guid.NewGuid();
        // What a worker's registration and claim leave behind.
        await JobTestKit.ExecuteAsync(portal, $"""
            INSERT INTO workers (id, name, device_kind, device_name, slots) VALUES ('{workerId}', 'gpu-box-1', 'cuda', 'NVIDIA H100', 2);
            UPDATE job_queue SET worker_id = '{workerId}', lease_token = gen_random_uuid(), lease_expires_at = now() + interval '30 seconds' WHERE job_id = '{jobId}';
            UPDATE jobs SET state = 'Running', started_at = now() WHERE id = '{jobId}';
            """);
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        var client = portal.CreatePortalClient();
        await client.SignInAsync(admin.Email!);

        var page = await client.GetAsync("/admin/workers");

        var name = page.Document.QuerySelector($"#worker-table [data-worker='{workerId}']")!;
        var row = name.Closest("tr")!;
        Assert.Equal("live", name.GetAttribute("data-health"));
        Assert.Contains("NVIDIA H100", row.TextContent);
        Assert.Contains("1 / 2", row.TextContent);
        Assert.NotNull(row.QuerySelector($".running-job[data-job='{jobId}']"));
    }

    [Fact]
    public async Task WorkersPage_WorkerMissedAHeartbeat_ShownNotRespondingWithinItsLease()
    {
        var beating = Guid.NewGuid();
        var missed = Guid.NewGuid();
        // Both beat every second; one last beat 4 s ago: well within a 30 s lease, but two beats missed.
        await JobTestKit.ExecuteAsync(portal, $"""
            INSERT INTO workers (id, name, device_kind, device_name, slots, heartbeat_every, heartbeat_at) VALUES
                ('{beating}', 'beating', 'cpu', 'cpu', 1, interval '1 second', now()),
                ('{missed}', 'missed-beats', 'cpu', 'cpu', 1, interval '1 second', now() - interval '4 seconds');
            """);
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        var client = portal.CreatePortalClient();
        await client.SignInAsync(admin.Email!);

        var page = await client.GetAsync("/admin/workers");

        Assert.Equal("live", page.Document.QuerySelector($"#worker-table [data-worker='{beating}']")!.GetAttribute("data-health"));
        var name = page.Document.QuerySelector($"#worker-table [data-worker='{missed}']")!;
        Assert.Equal("not-responding", name.GetAttribute("data-health"));
        Assert.Contains("Not responding", name.Closest("tr")!.TextContent);
    }

    [Fact]
    public async Task WorkersPage_StoppedLongAgo_HiddenUntilShowAll()
    {
        var recent = Guid.NewGuid();
        var old = Guid.NewGuid();
        await JobTestKit.ExecuteAsync(portal, $"""
            INSERT INTO workers (id, name, device_kind, device_name, slots, stopped_at) VALUES
                ('{recent}', 'stopped-just-now', 'cpu', 'cpu', 1, now() - interval '1 minute'),
                ('{old}', 'stopped-long-ago', 'cpu', 'cpu', 1, now() - interval '2 hours');
            """);
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        var client = portal.CreatePortalClient();
        await client.SignInAsync(admin.Email!);

        var page = await client.GetAsync("/admin/workers");
        var all = await client.GetAsync("/admin/workers?all=true");

        Assert.True(page.Has($"#worker-table [data-worker='{recent}']"));
        Assert.False(page.Has($"#worker-table [data-worker='{old}']"));
        Assert.Equal("/admin/workers?all=true", page.Document.QuerySelector("#workers-all")!.GetAttribute("href"));
        Assert.True(all.Has($"#worker-table [data-worker='{old}']"));
        Assert.True(all.Has("#workers-recent"));
    }

    [Fact]
    public async Task WorkersPage_TenantOwner_IsForbidden()
    {
        var owner = await JobTestKit.OwnerAsync(portal);

        var page = await owner.Client.GetAsync("/admin/workers");

        Assert.NotEqual(HttpStatusCode.OK, page.Status);
        Assert.DoesNotContain("worker-table", page.Html);
    }

    [Fact]
    public async Task CatalogPage_ImportFolderWithoutWeights_ShowsErrorAndAddsNothing()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        var client = portal.CreatePortalClient();
        await client.SignInAsync(admin.Email!);
        var folder = Directory.CreateTempSubdirectory("web-import-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "config.json"), "{\"model_type\":\"bert\"}");
            var page = await client.GetAsync("/admin/models");
            Assert.NotNull(page.Document.QuerySelector("#catalog-table tr[data-model='bert-mini-random']"));

            var result = await client.SubmitAsync(page, "#import-form", new Dictionary<string, string>
            {
                ["Folder.Name"] = "broken-bert", ["Folder.Path"] = folder, ["Folder.Description"] = "no weights",
            });

            Assert.Contains("has no vocab.txt", result.Text("#import-error"));
            Assert.DoesNotContain(folder, result.Text("#import-error"));
            Assert.Null(result.Document.QuerySelector("#catalog-table tr[data-model='broken-bert']"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task ApiKeysPage_OwnerCreatesKey_ShownOnceThenListedAndRevocable()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var page = await owner.Client.GetAsync("/settings/api-keys");

        var created = await owner.Client.SubmitAsync(page, "#create-key-form", new Dictionary<string, string> { ["KeyName"] = "ci" });

        var key = created.Document.QuerySelector("#new-key-value")!.GetAttribute("value")!;
        Assert.StartsWith("pk_", key);
        var again = await owner.Client.GetAsync("/settings/api-keys");
        Assert.DoesNotContain(key, again.Html);
        Assert.Single(again.Document.QuerySelectorAll("#key-table tbody tr"));

        // Revoking asks first, over the circuit (ApiKeyTableTests); the page lists the key as revoked after.
        Assert.Single(again.Document.QuerySelectorAll("#key-table .key-revoke"));
        var keyId = Guid.Parse(again.Document.QuerySelector("#key-table tbody tr")!.GetAttribute("data-key")!);
        var result = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<Platform.Data.ApiKeys.RevokeApiKeyCommand>().ExecuteAsync(keyId));
        Assert.True(result.IsSuccess, result.Error);

        var revoked = await owner.Client.GetAsync("/settings/api-keys");
        Assert.Contains("Revoked", revoked.Text("#key-table tbody tr"));
        Assert.Empty(revoked.Document.QuerySelectorAll("#key-table .key-revoke"));
    }

    [Fact]
    public async Task ApiKeysPage_Member_CannotCreate()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var member = await portal.CreateUserAsync();
        await portal.AddMemberAsync(owner.TenantId, member);
        var client = portal.CreatePortalClient();
        await client.SignInAsync(member.Email!);

        var page = await client.GetAsync("/settings/api-keys");

        Assert.True(page.Has("#owners-only"));
        Assert.False(page.Has("#create-key-form"));
    }
}
