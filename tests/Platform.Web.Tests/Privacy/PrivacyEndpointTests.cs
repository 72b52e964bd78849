using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Data.ApiKeys;
using Platform.Data.Identity;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Privacy;

/// <summary>Export and erasure from the portal (owner and admin) and the API, through the real app.</summary>
public sealed class PrivacyEndpointTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private async Task<long> CountAsync(string sql, Guid id)
    {
        await using var command = portal.Database.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private Task<long> ActiveTenantsAsync(Guid id) => CountAsync("SELECT count(*) FROM tenants WHERE id = $1 AND status <> 'Erased'", id);

    private async Task<string> NameAsync(Guid tenantId)
    {
        await using var command = portal.Database.DataSource.CreateCommand("SELECT name FROM tenants WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private HttpClient ApiClient(string key)
    {
        var http = portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    [Fact]
    public async Task DataPage_Owner_ShowsRetentionAndExportDownloadsZip()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.UploadCsvAsync(owner.Client, "tickets");

        var page = await owner.Client.GetAsync("/settings/data");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("30 days", page.Text("#retention-policy"));
        Assert.Contains("90 days", page.Text("#retention-policy"));
        using var export = await owner.Client.Http.GetAsync(page.Document.QuerySelector("#export-link")!.GetAttribute("href"));
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("application/zip", export.Content.Headers.ContentType?.MediaType);
        using var zip = new ZipArchive(await export.Content.ReadAsStreamAsync(), ZipArchiveMode.Read);
        Assert.Contains(zip.Entries, e => e.FullName == "datasets/tickets-v1/data.csv");
    }

    [Fact]
    public async Task DataPage_Member_NoExportAndExportRefused()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var member = await portal.CreateUserAsync();
        await portal.AddMemberAsync(owner.TenantId, member);
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(member.Email!);

        var page = await client.GetAsync("/settings/data");
        using var export = await client.Http.GetAsync("/settings/data/export");

        Assert.True(page.Has("#owners-only"));
        Assert.False(page.Has("#export-link"));
        Assert.NotEqual(HttpStatusCode.OK, export.StatusCode);
    }

    [Fact]
    public async Task EraseForm_WrongNameThenRightName_ErasesOnlyOnConfirmation()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.UploadCsvAsync(owner.Client);
        var name = await NameAsync(owner.TenantId);
        var page = await owner.Client.GetAsync("/settings/data");

        var refused = await owner.Client.FollowAsync(await owner.Client.SubmitAsync(page, "#erase-form", new Dictionary<string, string> { ["confirm"] = "not it" }));

        Assert.Contains(name, refused.Text("#privacy-error"));
        Assert.Equal(1, await ActiveTenantsAsync(owner.TenantId));

        var erased = await owner.Client.SubmitAsync(await owner.Client.GetAsync("/settings/data"), "#erase-form",
            new Dictionary<string, string> { ["confirm"] = name });

        // The owner was in no other organisation: the account went with it, and the sign-in too.
        Assert.Equal("/account/sign-in?erased=true", erased.Location);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM users WHERE id = $1", owner.UserId));
        var after = await owner.Client.GetAsync("/settings/data");
        Assert.StartsWith("http://localhost/account/sign-in", after.Location);
        Assert.Equal(0, await ActiveTenantsAsync(owner.TenantId));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM datasets WHERE tenant_id = $1", owner.TenantId));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM tenant_erasures WHERE tenant_id = $1 AND requested_as = 'Owner'", owner.TenantId));
    }

    [Fact]
    public async Task AdminErase_FromTenantPage_RecordedAsPlatformAdmin()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var name = await NameAsync(owner.TenantId);
        var admin = await portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(admin.Email!);
        var page = await client.GetAsync($"/admin/tenants/{owner.TenantId}");

        var erased = await client.SubmitAsync(page, "#admin-erase-form", new Dictionary<string, string> { ["confirm"] = name });

        Assert.Equal("/admin/tenants?erased=true", erased.Location);
        Assert.Equal(0, await ActiveTenantsAsync(owner.TenantId));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM tenant_erasures WHERE tenant_id = $1 AND requested_as = 'PlatformAdmin'", owner.TenantId));
    }

    [Fact]
    public async Task Api_OwnerKey_ExportsThenErasesAndTheKeyDiesWithIt()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.UploadCsvAsync(owner.Client, "tickets");
        var key = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("privacy"));
        using var http = ApiClient(key.Value.PlainText);

        // What the plan keeps, as the dataset and model pages say it.
        var retention = await http.GetFromJsonAsync<JsonElement>("/api/v1/organisation/retention");
        var policy = await portal.Services.GetRequiredService<Platform.Jobs.Privacy.RetentionSweep>().PolicyAsync(owner.TenantId);
        Assert.Equal(policy.CheckpointDays, retention.GetProperty("checkpointDays").GetInt32());
        Assert.Equal(policy.EventDays, retention.GetProperty("eventDays").GetInt32());
        Assert.True(policy.CheckpointDays > 0);
        using (var export = await http.GetAsync("/api/v1/organisation/export"))
        {
            Assert.Equal(HttpStatusCode.OK, export.StatusCode);
            using var zip = new ZipArchive(await export.Content.ReadAsStreamAsync(), ZipArchiveMode.Read);
            Assert.Contains(zip.Entries, e => e.FullName == "datasets/tickets-v1/data.csv");
        }
        using (var refused = await http.PostAsJsonAsync("/api/v1/organisation/erase", new { confirm = "wrong" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }
        using (var erased = await http.PostAsJsonAsync("/api/v1/organisation/erase", new { confirm = await NameAsync(owner.TenantId) }))
            Assert.Equal(HttpStatusCode.OK, erased.StatusCode);

        Assert.Equal(0, await ActiveTenantsAsync(owner.TenantId));
        using var after = await http.GetAsync("/api/v1/datasets");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task DatasetPage_SaysWhatIsKeptAndForHowLong()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        var dataset = await JobTestKit.UploadCsvAsync(owner.Client);

        var page = await owner.Client.GetAsync($"/datasets/{dataset}");

        Assert.Contains("30 days", page.Text("#retention-note"));
    }
}
