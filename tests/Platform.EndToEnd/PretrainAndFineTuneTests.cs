using System.Text;
using Microsoft.Playwright;
using Platform.Testing;

namespace Platform.EndToEnd;

/// <summary>
/// Issue 9's journey in a real browser against the real portal and its in-process worker: an owner
/// imports a base model from a Hub stand-in, uploads unlabelled text, pre-trains a BERT on it from
/// scratch (watching held-out perplexity), fine-tunes the result on labelled data and reads the
/// model page. Phone-width screenshots of the new pages too.
/// </summary>
public sealed class PretrainAndFineTuneTests : PortalBrowserTest
{
    private readonly HubStandIn _hub;
    private readonly string _models = Path.Combine(Path.GetTempPath(), "platform-e2e-pretrain-" + Guid.NewGuid().ToString("N"));

    public PretrainAndFineTuneTests()
    {
        _hub = HubStandIn.StartAsync().GetAwaiter().GetResult();
    }

    protected override IReadOnlyDictionary<string, string> PortalEnvironment => new Dictionary<string, string>
    {
        ["HuggingFace__Endpoint"] = _hub.Endpoint,
        ["HuggingFace__RetryDelay"] = "00:00:00",
        ["Worker__InProcess"] = "true",
        ["Worker__Name"] = "e2e-pretrain-worker",
    };

    [Fact]
    public async Task Owner_ImportsPretrainsAndFineTunes_SeesTheResultsOnTheModelPage()
    {
        _hub.AddRepo("google/e2e-bert-tiny").AddFolder(TestModels.WriteBert(Path.Combine(_models, "tiny")));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchChromiumAsync(playwright);
        var page = await NewPageAsync(browser);
        try
        {
            await SignUpAndConfirmAsync(page, "Domain Startup");

            // 1. A pre-trained model from the (stand-in) Hub.
            await page.GotoAsync("/models/catalog");
            await page.FillAsync("#hub-repo", "google/e2e-bert-tiny");
            await page.FillAsync("#hub-name", "hub-tiny");
            await page.ClickAsync("#hub-import-form button[type=submit]");
            await Assertions.Expect(page.Locator("#catalog-table tr[data-model=hub-tiny]")).ToHaveCountAsync(1, new() { Timeout = 60_000 });

            // 2. Unlabelled text: one document per line.
            await page.GotoAsync("/datasets/new");
            await page.FillAsync("#name", "support-mail");
            await page.CheckAsync("#purpose-corpus");
            await page.SetInputFilesAsync("#file", new FilePayload { Name = "mail.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes(Corpus()) });
            await page.ClickAsync("#upload-form button[type=submit]");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("support-mail v1");
            await Screenshot(page, "corpus-dataset");

            // 3. Pre-train from scratch, watching the held-out perplexity.
            await page.ClickAsync("#pretrain-model");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Pre-train a text model on your domain");
            // Changing the size re-renders the form (htmx): wait for it, or the swap closes the section opened below.
            await page.SelectOptionAsync("#pretrain-size", "mini");
            await Assertions.Expect(page.Locator(".htmx-request")).ToHaveCountAsync(0);
            await page.FillAsync("#result-name", "mail-bert");
            await page.ClickAsync("#pretrain-advanced summary");
            await page.FillAsync("#pretrain-epochs", "2");
            await page.FillAsync("#pretrain-batch", "8");
            await page.FillAsync("#pretrain-max-length", "32");
            await page.FillAsync("#pretrain-vocab", "300");
            await Screenshot(page, "pretrain-form");
            await page.ClickAsync("#launch-pretraining");
            await Assertions.Expect(page.Locator(".job-state")).ToHaveAttributeAsync("data-state", "Succeeded", new() { Timeout = 300_000 });
            await Assertions.Expect(page.Locator("#perplexity-chart g.series circle")).ToHaveCountAsync(2);
            await Assertions.Expect(page.Locator("#job-status-text")).ToContainTextAsync("mail-bert is in your base models");
            await Screenshot(page, "pretrain-job");

            // 4. Fine-tune the result on labelled data.
            await page.GotoAsync("/datasets/new");
            await page.FillAsync("#name", "tickets");
            await page.SetInputFilesAsync("#file", new FilePayload { Name = "tickets.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(TicketsCsv()) });
            await Assertions.Expect(page.Locator("select#labelColumn")).ToHaveValueAsync("label");
            await page.ClickAsync("#upload-form button[type=submit]");
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("tickets v1");
            await page.GotoAsync("/jobs/new?Input.BaseModel=mail-bert");
            await Assertions.Expect(page.Locator("#base-model")).ToHaveValueAsync("mail-bert");
            await Assertions.Expect(page.Locator("#base-model option[value=hub-tiny]")).ToHaveCountAsync(1);
            await page.ClickAsync("#advanced summary");
            await page.FillAsync("#epochs", "3");
            await page.FillAsync("#max-length", "32");
            await page.Locator("#max-length").DispatchEventAsync("change");
            await Assertions.Expect(page.Locator("#estimate-steps")).Not.ToHaveTextAsync("");
            await page.ClickAsync("#launch");
            await Assertions.Expect(page.Locator("#view-model")).ToBeVisibleAsync(new() { Timeout = 300_000 });
            await page.ClickAsync("#view-model");
            await Assertions.Expect(page.Locator("#model-accuracy")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#selected-epoch")).ToContainTextAsync("epoch");
            await Screenshot(page, "pretrained-model");

            await page.SetViewportSizeAsync(390, 844);
            await page.GotoAsync("/jobs/pretrain");
            await Screenshot(page, "pretrain-form-phone");
        }
        catch
        {
            await SaveFailureAsync(page, "pretrain");
            throw;
        }
        finally
        {
            await _hub.DisposeAsync();
            if (Directory.Exists(_models))
                Directory.Delete(_models, recursive: true);
        }
    }

    private static string Corpus() => string.Concat(Enumerable.Range(0, 80).Select(i =>
        $"Order {i} arrived {(i % 2 == 0 ? "broken" : "late")} and the courier left it at door {i % 9}, please send a refund\n"));

    private static string TicketsCsv()
    {
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < 30; i++)
        {
            csv.Append($"\"Order {i} arrived broken, refund please\",complaint\n");
            csv.Append($"\"Order {i} arrived early, thanks a lot\",praise\n");
        }
        return csv.ToString();
    }
}
