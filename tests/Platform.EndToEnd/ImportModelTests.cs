using Microsoft.Playwright;
using Platform.Testing;

namespace Platform.EndToEnd;

/// <summary>
/// A model import in a real browser against the real portal, its downloads from a Hub stand-in this
/// test runs (nothing reaches the internet): an owner imports a tiny MiniLM-shaped BERT by id, the
/// import list follows it on its own (htmx) until the model is in the catalog, the launch form offers
/// it; a ZIP upload of a DistilBERT folder goes the same way.
/// </summary>
public sealed class ImportModelTests : PortalBrowserTest
{
    private readonly HubStandIn _hub;
    private readonly string _models = Path.Combine(Path.GetTempPath(), "platform-e2e-models-" + Guid.NewGuid().ToString("N"));

    public ImportModelTests()
    {
        // Started before the portal, whose environment names it.
        _hub = HubStandIn.StartAsync().GetAwaiter().GetResult();
    }

    protected override IReadOnlyDictionary<string, string> PortalEnvironment => new Dictionary<string, string>
    {
        ["HuggingFace__Endpoint"] = _hub.Endpoint,
        ["HuggingFace__RetryDelay"] = "00:00:00",
    };

    [Fact]
    public async Task Owner_ImportsFromHubAndUploadsAZip_ModelsAppearInTheCatalogAndTheLaunchForm()
    {
        var bert = TestModels.WriteBert(Path.Combine(_models, "minilm"), bare: true);
        _hub.AddRepo("sentence-transformers/e2e-MiniLM").AddFolder(bert);
        var distil = TestModels.WriteDistilBert(Path.Combine(_models, "distil"));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        var page = await NewPageAsync(browser);
        try
        {
            await SignUpAndConfirmAsync(page, "Import Startup");

            await page.ClickAsync("a[href='/models/catalog']");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Base models");
            await page.FillAsync("#hub-repo", "sentence-transformers/e2e-MiniLM");
            await page.FillAsync("#hub-name", "support-minilm");
            await page.ClickAsync("#hub-import-form button[type=submit]");
            await Assertions.Expect(page.Locator("#hub-import-message")).ToContainTextAsync("queued");
            // No reload from here: the list asks for itself until the import is done, the table follows.
            await Assertions.Expect(page.Locator("#import-list li[data-state=done]")).ToHaveCountAsync(1, new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator("#catalog-table tr[data-model=support-minilm]")).ToContainTextAsync("Your organisation");
            await Screenshot(page, "catalog-imported");

            await page.FillAsync("#upload-name", "laptop-distil");
            await page.SetInputFilesAsync("#upload-file", new FilePayload
            {
                Name = "laptop-distil.zip", MimeType = "application/zip", Buffer = TestModels.Zip(distil, "laptop-distil"),
            });
            await page.ClickAsync("#model-upload-form button[type=submit]");
            await Assertions.Expect(page.Locator("#upload-received")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#catalog-table tr[data-model=laptop-distil]")).ToContainTextAsync("DistilBERT", new() { Timeout = 60_000 });
            await Screenshot(page, "catalog-uploaded");

            await page.GotoAsync("/datasets/new");
            await page.FillAsync("#name", "tickets");
            await page.SetInputFilesAsync("#file", new FilePayload
            {
                Name = "tickets.csv", MimeType = "text/csv",
                Buffer = System.Text.Encoding.UTF8.GetBytes("text,label\ngood movie,pos\nbad movie,neg\ngreat film,pos\nawful film,neg\nfine,pos\npoor,neg\n"),
            });
            await Assertions.Expect(page.Locator("select#labelColumn")).ToHaveValueAsync("label");
            await page.ClickAsync("#upload-form button[type=submit]");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("tickets v1");
            await page.GotoAsync("/jobs/new");
            await Assertions.Expect(page.Locator("#base-model option[value=support-minilm]")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("#base-model option[value=laptop-distil]")).ToContainTextAsync("DistilBERT");
            await Screenshot(page, "launch-imported-model");
        }
        catch
        {
            await SaveFailureAsync(page, "import");
            throw;
        }
        finally
        {
            await _hub.DisposeAsync();
            if (Directory.Exists(_models))
                Directory.Delete(_models, recursive: true);
        }
    }
}
