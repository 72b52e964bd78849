using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.ApiKeys;
using Platform.Data.Identity;
using Platform.Domain.Tenants;
using Platform.Testing;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Catalog;

/// <summary>The portal with its model imports pointed at a Hub stand-in this fixture runs.</summary>
public sealed class CatalogPortal : IAsyncLifetime
{
    public PortalFactory Portal { get; } = new();

    public HubStandIn Hub { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Portal.InitializeAsync();
        Hub = await HubStandIn.StartAsync();
        Portal.HubEndpoint = Hub.Endpoint;
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Portal).DisposeAsync();
        await Hub.DisposeAsync();
    }

    /// <summary>A tiny BERT (or DistilBERT) on the stand-in under <paramref name="repoId"/>.</summary>
    public HubRepo AddModel(string repoId, bool distil = false)
    {
        var folder = Path.Combine(Path.GetTempPath(), "platform-web-hub-models", Guid.NewGuid().ToString("N"));
        try
        {
            if (distil)
                TestModels.WriteDistilBert(folder);
            else
                TestModels.WriteBert(folder, bare: true);
            return Hub.AddRepo(repoId).AddFolder(folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

public sealed class CatalogPageTests(CatalogPortal fixture) : IClassFixture<CatalogPortal>
{
    private PortalFactory Portal => fixture.Portal;

    [Fact]
    public async Task TenantCatalog_OwnerImportsFromHub_FollowsProgressAndOnlyTheirOrganisationGetsTheModel()
    {
        fixture.AddModel("sentence-transformers/web-MiniLM");
        var owner = await JobTestKit.OwnerAsync(Portal);
        var stranger = await JobTestKit.OwnerAsync(Portal);
        var page = await owner.Client.GetAsync("/models/catalog");
        Assert.NotNull(page.Document.QuerySelector("a[href='/models/catalog']"));

        var submitted = await owner.Client.SubmitAsync(page, "#hub-import-form", new Dictionary<string, string>
        {
            ["Hub.RepoId"] = "sentence-transformers/web-MiniLM", ["Hub.Name"] = "support-minilm",
        });

        Assert.Contains("queued", submitted.Text("#hub-import-message"));
        Assert.NotNull(submitted.Document.QuerySelector("#import-list li[data-state]"));
        var live = await UntilAsync(owner.Client, "/models/catalog/live", p => p.Has("#import-list li[data-state='done']"));
        Assert.NotNull(live.Document.QuerySelector("#catalog-table-card[hx-swap-oob] tr[data-model='support-minilm'][data-scope='private']"));
        Assert.Null(live.Document.QuerySelector("#imports")!.GetAttribute("hx-trigger"));
        var reloaded = await owner.Client.GetAsync("/models/catalog");
        Assert.Contains("Your organisation", reloaded.Document.QuerySelector("#catalog-table tr[data-model='support-minilm']")!.TextContent);
        await JobTestKit.UploadCsvAsync(owner.Client, "tickets");
        var launch = await owner.Client.GetAsync("/jobs/new");
        Assert.NotNull(launch.Document.QuerySelector("#base-model option[value='support-minilm']"));

        var theirs = await stranger.Client.GetAsync("/models/catalog");
        Assert.Null(theirs.Document.QuerySelector("#catalog-table tr[data-model='support-minilm']"));
        Assert.NotNull(theirs.Document.QuerySelector("#no-imports"));
        await JobTestKit.UploadCsvAsync(stranger.Client, "tickets");
        var theirLaunch = await stranger.Client.GetAsync("/jobs/new");
        Assert.Null(theirLaunch.Document.QuerySelector("#base-model option[value='support-minilm']"));
    }

    [Fact]
    public async Task TenantCatalog_WhileDownloading_ShowsBytesAndPollsUntilCancelled()
    {
        var repo = fixture.AddModel("org/web-slow");
        var hold = fixture.Hub.HoldDownload(repo.Id, "model.safetensors", afterBytes: 8_000);
        var owner = await JobTestKit.OwnerAsync(Portal);
        var page = await owner.Client.GetAsync("/models/catalog");
        await owner.Client.SubmitAsync(page, "#hub-import-form", new Dictionary<string, string> { ["Hub.RepoId"] = "org/web-slow" });

        var live = await UntilAsync(owner.Client, "/models/catalog/live",
            p => p.Document.QuerySelector("#import-list li[data-state='downloading'] .import-progress")?.TextContent.Contains("model.safetensors") == true);

        Assert.Equal("every 2s", live.Document.QuerySelector("#imports")!.GetAttribute("hx-trigger"));
        Assert.Matches(@"model\.safetensors: [\d.]+ KB of [\d.]+ KB \(\d+(\.\d)?%\)", live.Text("#import-list .import-progress"));
        var cancel = (IHtmlFormElement)live.Document.QuerySelector("#import-list form[action$='/cancel']")!;
        var response = await owner.Client.Http.PostAsync(cancel.GetAttribute("action"), new FormUrlEncodedContent(PortalClient.FormValues(cancel)));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var ended = await UntilAsync(owner.Client, "/models/catalog/live", p => p.Has("#import-list li[data-state='cancelled']"));
        hold.TrySetResult();
        Assert.NotNull(ended.Document.QuerySelector("#import-list li[data-state='cancelled'] form[action$='/retry']"));
    }

    [Fact]
    public async Task TenantCatalog_Member_SeesTheCatalogButNoImportForms()
    {
        var owner = await JobTestKit.OwnerAsync(Portal);
        var member = await Portal.CreateUserAsync();
        await Portal.AddMemberAsync(owner.TenantId, member, TenantRole.Member);
        var client = Portal.CreatePortalClient();
        await client.SignInAsync(member.Email!);

        var page = await client.GetAsync("/models/catalog");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.NotNull(page.Document.QuerySelector("#owners-import"));
        Assert.Null(page.Document.QuerySelector("#hub-import-form"));
        Assert.Null(page.Document.QuerySelector("#model-upload-form"));
    }

    [Fact]
    public async Task TenantCatalog_UploadZip_ValidatesInTheBackgroundAndAddsThePrivateModel()
    {
        var owner = await JobTestKit.OwnerAsync(Portal);
        var folder = TestModels.WriteDistilBert(Path.Combine(Portal.StorageRoot, "zip-src-" + Guid.NewGuid().ToString("N")));

        var posted = await UploadAsync(owner.Client, "/models/catalog", "laptop-distil", TestModels.Zip(folder, "laptop-distil"));

        Assert.Equal(HttpStatusCode.Redirect, posted.Status);
        Assert.Equal("/models/catalog?uploaded=true", posted.Location);
        var live = await UntilAsync(owner.Client, "/models/catalog/live", p => p.Has("#import-list li[data-state='done']"));
        Assert.Contains("DistilBERT", live.Document.QuerySelector("#catalog-table tr[data-model='laptop-distil']")!.TextContent);
        Assert.Contains("Uploaded ZIP", live.Document.QuerySelector("#catalog-table tr[data-model='laptop-distil']")!.TextContent);
    }

    [Fact]
    public async Task TenantCatalog_UploadZipWithPickleWeights_IsRefusedInPlace()
    {
        var owner = await JobTestKit.OwnerAsync(Portal);
        var folder = TestModels.WriteBert(Path.Combine(Portal.StorageRoot, "zip-bad-" + Guid.NewGuid().ToString("N")));
        File.Delete(Path.Combine(folder, "model.safetensors"));
        File.WriteAllBytes(Path.Combine(folder, "pytorch_model.bin"), new byte[128]);

        var posted = await UploadAsync(owner.Client, "/models/catalog", "pickled", TestModels.Zip(folder));

        Assert.Equal(HttpStatusCode.BadRequest, posted.Status);
        Assert.Contains("pickle", posted.Text("#upload-error"));
        Assert.Equal("pickled", posted.Document.QuerySelector<IHtmlInputElement>("#upload-name")!.Value);
        Assert.NotNull(posted.Document.QuerySelector("#hub-import-form"));
    }

    [Fact]
    public async Task AdminCatalog_ImportForEveryone_AppearsInEveryTenantsCatalog()
    {
        fixture.AddModel("distilbert/web-distilbert", distil: true);
        var admin = await Portal.CreateUserAsync(null, PlatformRoles.PlatformAdmin);
        var client = Portal.CreatePortalClient();
        await client.SignInAsync(admin.Email!);
        var tenant = await JobTestKit.OwnerAsync(Portal);
        var page = await client.GetAsync("/admin/models");
        Assert.NotNull(page.Document.QuerySelector("#operator-folder"));

        var submitted = await client.SubmitAsync(page, "#hub-import-form", new Dictionary<string, string>
        {
            ["Hub.RepoId"] = "distilbert/web-distilbert", ["Hub.Name"] = "distilbert-everyone",
        });

        Assert.Contains("queued", submitted.Text("#hub-import-message"));
        await UntilAsync(client, "/admin/models/live", p => p.Has("#import-list li[data-state='done']"));
        var theirs = await tenant.Client.GetAsync("/models/catalog");
        var row = theirs.Document.QuerySelector("#catalog-table tr[data-model='distilbert-everyone']")!;
        Assert.Equal("platform", row.GetAttribute("data-scope"));
        Assert.Contains("Everyone", row.TextContent);
        Assert.Empty((await tenant.Client.GetAsync("/models/catalog/live")).Document.QuerySelectorAll("#import-list li"));
    }

    [Fact]
    public async Task AdminCatalogEndpoints_TenantOwner_IsForbidden()
    {
        var owner = await JobTestKit.OwnerAsync(Portal);

        var page = await owner.Client.GetAsync("/admin/models/live");

        Assert.NotEqual(HttpStatusCode.OK, page.Status);
        Assert.DoesNotContain("import-list", page.Html);
    }

    [Fact]
    public async Task Api_OwnerKey_ImportsFromHubAndListsTheModel()
    {
        fixture.AddModel("org/api-bert");
        var owner = await JobTestKit.OwnerAsync(Portal);
        var key = await JobTestKit.AsTenantAsync(Portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("catalog"));
        using var http = Portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Value.PlainText);

        using var started = await http.PostAsJsonAsync("/api/v1/base-models/imports", new { repoId = "org/api-bert", name = "api-bert" });

        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        var deadline = DateTime.UtcNow.AddMinutes(1);
        JsonElement import;
        do
        {
            await Task.Delay(100);
            import = await http.GetFromJsonAsync<JsonElement>(location);
            Assert.True(DateTime.UtcNow < deadline, import.ToString());
        }
        while (import.GetProperty("state").GetString() is "queued" or "downloading" or "validating");
        Assert.Equal("done", import.GetProperty("state").GetString());
        var models = await http.GetFromJsonAsync<JsonElement>("/api/v1/base-models");
        var model = models.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "api-bert");
        Assert.Equal("organisation", model.GetProperty("scope").GetString());
        Assert.Equal("text", model.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Api_OwnerKey_UploadsAZippedFolder_AndAHostileZipIsRefusedLeavingNothing()
    {
        var owner = await JobTestKit.OwnerAsync(Portal);
        var key = await JobTestKit.AsTenantAsync(Portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("upload"));
        using var http = Portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Value.PlainText);
        var folder = TestModels.WriteDistilBert(Path.Combine(Portal.StorageRoot, "api-zip-" + Guid.NewGuid().ToString("N")));

        using var hostile = await http.PostAsync("/api/v1/base-models/uploads",
            ZipForm("slipped", TestModels.Zip(folder, null, ("../../../etc/cron.d/evil", "x"u8.ToArray()))));
        using var started = await http.PostAsync("/api/v1/base-models/uploads", ZipForm("api-distil", TestModels.Zip(folder, "api-distil")));

        Assert.Equal(HttpStatusCode.BadRequest, hostile.StatusCode);
        Assert.Contains("climbs out", (await hostile.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        var deadline = DateTime.UtcNow.AddMinutes(1);
        JsonElement import;
        do
        {
            await Task.Delay(100);
            import = await http.GetFromJsonAsync<JsonElement>(location);
            Assert.True(DateTime.UtcNow < deadline, import.ToString());
        }
        while (import.GetProperty("state").GetString() is "queued" or "downloading" or "validating");
        Assert.Equal("done", import.GetProperty("state").GetString());
        var names = (await http.GetFromJsonAsync<JsonElement>("/api/v1/base-models")).GetProperty("data").EnumerateArray()
            .Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.Contains("api-distil", names);
        Assert.DoesNotContain("slipped", names);
    }

    private static MultipartFormDataContent ZipForm(string name, byte[] zip)
    {
        var form = new MultipartFormDataContent { { new StringContent(name), "name" } };
        var file = new ByteArrayContent(zip);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        form.Add(file, "file", name + ".zip");
        return form;
    }

    /// <summary>GETs <paramref name="url"/> until <paramref name="done"/> holds, as the page's polling does, for at most a minute.</summary>
    private static async Task<Page> UntilAsync(PortalClient client, string url, Func<Page, bool> done)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var page = await client.GetAsync(url);
            if (done(page))
                return page;
            Assert.True(DateTime.UtcNow < deadline, $"never reached the expected state:\n{page.Html}");
            await Task.Delay(100);
        }
    }

    private static async Task<Page> UploadAsync(PortalClient client, string catalogPath, string name, byte[] zip)
    {
        var page = await client.GetAsync(catalogPath);
        var form = (IHtmlFormElement)page.Document.QuerySelector("#model-upload-form")!;
        var multipart = new MultipartFormDataContent();
        foreach (var (key, value) in PortalClient.FormValues(form))
            multipart.Add(new StringContent(key == "name" ? name : value), key);
        var file = new ByteArrayContent(zip);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        multipart.Add(file, "file", name + ".zip");
        return await client.PostAsync(form.GetAttribute("action")!, multipart);
    }
}
