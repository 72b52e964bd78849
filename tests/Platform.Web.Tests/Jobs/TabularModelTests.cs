using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Training.Metrics;
using Platform.Training.Tabular;
using Platform.Training.Training;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

/// <summary>
/// A table through the portal and the API: the upload form's tabular purpose, the dataset page's columns,
/// launch, then a model trained by the real trainer on the uploaded file, its ROC card, playground and API.
/// </summary>
public sealed class TabularModelTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    /// <summary>Churn follows contract, tenure and charges; an id column to leave out; some cells missing.</summary>
    private static string ChurnCsv(int rows)
    {
        var random = new Random(11);
        var csv = new StringBuilder("customer_id,tenure,monthly_charges,contract,churn\n");
        string[] contracts = ["month-to-month", "one-year", "two-year"];
        for (var i = 0; i < rows; i++)
        {
            var tenure = random.Next(1, 72);
            var charges = 20 + random.NextDouble() * 100;
            var contract = contracts[random.Next(3)];
            var risk = (contract == "month-to-month" ? 1.5 : -1.5) + (30 - tenure) / 15.0 + (charges - 70) / 25.0;
            csv.Append(CultureInfo.InvariantCulture, $"C{i:D5},{(i % 13 == 4 ? "" : tenure)},{charges:F2},{contract},{(risk > 0 ? "yes" : "no")}\n");
        }

        return csv.ToString();
    }

    [Fact]
    public async Task Tabular_UploadPageLaunchTrainPlaygroundApi_EndToEnd()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        var csv = ChurnCsv(240);

        // Upload through the portal's form, as a table with its target and an excluded column.
        var form = await owner.Client.GetAsync("/datasets/new");
        Assert.True(form.Has("#purpose-tabular"));
        var multipart = new MultipartFormDataContent();
        foreach (var (key, value) in PortalClient.FormValues((AngleSharp.Html.Dom.IHtmlFormElement)form.Document.QuerySelector("#upload-form")!))
        {
            var overridden = key switch { "name" => "churn", "purpose" => "tabular", "labelColumn" => "churn", "excludeColumns" => "customer_id", _ => value };
            multipart.Add(new StringContent(overridden), key);
        }
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(csv));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        multipart.Add(file, "file", "churn.csv");
        var posted = await owner.Client.PostAsync("/datasets/upload", multipart);
        Assert.True(posted.Status == HttpStatusCode.Redirect, posted.Html);
        var datasetId = Guid.Parse(posted.Location!.Split('/')[^1]);

        var page = await owner.Client.GetAsync($"/datasets/{datasetId}");
        Assert.Equal("churn", page.Text("#tabular-target"));
        Assert.Equal("customer_id", page.Text("#tabular-excluded"));
        Assert.Equal(["tenure", "monthly_charges", "contract"], page.Document.QuerySelectorAll("#tabular-column-table tbody tr").Select(r => r.GetAttribute("data-column")));
        Assert.Contains("numeric", page.Text("#tabular-columns tr[data-column=tenure]"));
        Assert.Contains("month-to-month", page.Text("#tabular-columns tr[data-column=contract]"));
        Assert.True(page.Has("#correlation"));

        // The launch form offers the tabular model only, and the job carries the target.
        var launchForm = await owner.Client.GetAsync($"/jobs/new?dataset={datasetId}");
        Assert.Equal(["tabular-mlp"], launchForm.Document.QuerySelectorAll("#base-model option").Select(o => o.GetAttribute("value")));
        var jobId = await JobTestKit.LaunchAsync(portal, owner, datasetId, TabularClassifier.Preset);

        // What a worker does with the job (tested with a real worker in Platform.Jobs.Tests): train on the table.
        var folder = Path.Combine(portal.StorageRoot, "jobs", jobId.ToString("N"), "model");
        var data = Path.Combine(portal.StorageRoot, "jobs", jobId.ToString("N"), "churn.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(data)!);
        await File.WriteAllTextAsync(data, csv);
        var trained = Trainer.Train(new TrainingRequest(data, TabularClassifier.Preset, folder,
            new TrainingOptions { Epochs = 25, Threads = 1, ValidationFraction = 0.25, TabularColumns = new TabularColumns("churn", ["customer_id"]) }));
        await JobTestKit.MarkSucceededAsync(portal, jobId, folder, trained.Metrics.Evaluation);

        var model = await owner.Client.GetAsync($"/models/{jobId}");
        Assert.Equal(HttpStatusCode.OK, model.Status);
        Assert.Equal(trained.Metrics.Evaluation.Curves!.MacroRocAuc!.Value.ToString("0.000", CultureInfo.InvariantCulture), model.Text("#macro-roc-auc"));
        Assert.Equal(["no", "yes"], model.Document.QuerySelectorAll("#roc-per-class tbody tr").Select(r => r.GetAttribute("data-label")));
        Assert.True(model.Has("#playground-columns select[name='column.contract']"));

        var answered = await owner.Client.SubmitAsync(model, "#playground-form", new Dictionary<string, string>
        {
            ["column.tenure"] = "2", ["column.monthly_charges"] = "115", ["column.contract"] = "month-to-month",
        });
        Assert.Equal("yes", answered.Text("#predicted-label"));
        var fromCsv = await owner.Client.SubmitAsync(model, "#playground-form", new Dictionary<string, string> { ["csv"] = "70,22.5,two-year" });
        Assert.Equal("no", fromCsv.Text("#predicted-label"));
        // Served by ONNX Runtime, int8: the same answer for a clear case, and the card compares the three ways.
        var int8 = await owner.Client.SubmitAsync(model, "#playground-form", new Dictionary<string, string>
        {
            ["variant"] = "int8", ["column.tenure"] = "2", ["column.monthly_charges"] = "115", ["column.contract"] = "month-to-month",
        });
        Assert.Equal("yes", int8.Text("#predicted-label"));
        Assert.True(int8.Has("[data-variant=int8] #predicted-label"));
        Assert.Equal(["platform", "onnx", "int8"], model.Document.QuerySelectorAll("#serving-variants tbody tr").Select(r => r.GetAttribute("data-variant")));
        Assert.True(model.Has("#download-int8"));
        var wrong = await owner.Client.SubmitAsync(model, "#playground-form", new Dictionary<string, string> { ["column.tenure"] = "soon" });
        Assert.Contains("column 'tenure' is numeric; 'soon' is not a number", wrong.Document.Body!.TextContent);

        // The API: a JSON object, the same row as CSV with a header, and a clear 400 for a bad one.
        var apiKey = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<Platform.Data.ApiKeys.CreateApiKeyCommand>().ExecuteAsync("tabular"));
        using var http = portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey.Value.PlainText);
        using var byObject = await http.PostAsJsonAsync($"/api/v1/models/{jobId}/predict", new { row = new { tenure = 2, monthly_charges = 115.0, contract = "month-to-month" } });
        using var byCsv = await http.PostAsJsonAsync($"/api/v1/models/{jobId}/predict", new { csv = "contract,tenure,monthly_charges\nmonth-to-month,2,115" });
        using var bad = await http.PostAsJsonAsync($"/api/v1/models/{jobId}/predict", new { row = new { age = 3 } });
        Assert.Equal(HttpStatusCode.OK, byObject.StatusCode);
        var first = await byObject.Content.ReadFromJsonAsync<JsonElement>();
        var second = await byCsv.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("yes", first.GetProperty("label").GetString());
        Assert.Equal(first.GetProperty("scores").GetProperty("yes").GetDouble(), second.GetProperty("scores").GetProperty("yes").GetDouble());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("unknown column 'age'", await bad.Content.ReadAsStringAsync());
        var metrics = await http.GetFromJsonAsync<JsonElement>($"/api/v1/models/{jobId}/metrics");
        Assert.Equal(trained.Metrics.Evaluation.Curves.MacroRocAuc.Value, metrics.GetProperty("evaluation").GetProperty("curves").GetProperty("macroRocAuc").GetDouble(), 12);

        // The download holds the preprocessing fitted on the training split; the int8 one its ONNX file with it.
        using var zip = await owner.Client.Http.GetAsync($"/models/{jobId}/download");
        using var archive = new System.IO.Compression.ZipArchive(await zip.Content.ReadAsStreamAsync());
        Assert.Contains("preprocessing.json", archive.Entries.Select(e => e.Name));
        using var int8Zip = await http.GetAsync($"/api/v1/models/{jobId}/download?variant=int8");
        Assert.Equal(HttpStatusCode.OK, int8Zip.StatusCode);
        using var int8Archive = new System.IO.Compression.ZipArchive(await int8Zip.Content.ReadAsStreamAsync());
        Assert.Equal(["config.json", "model.int8.onnx", "preprocessing.json", "serving.json"], int8Archive.Entries.Select(e => e.Name).Order());
        var serving = await http.GetFromJsonAsync<JsonElement>($"/api/v1/models/{jobId}/serving");
        Assert.Equal(["platform", "onnx", "int8"], serving.GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("variant").GetString()));
        using var byInt8 = await http.PostAsJsonAsync($"/api/v1/models/{jobId}/predict", new { row = new { tenure = 2, monthly_charges = 115.0, contract = "month-to-month" }, variant = "int8" });
        Assert.Equal("int8", (await byInt8.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("variant").GetString());
    }

    [Fact]
    public async Task Upload_TableWithoutTarget_ClearErrorAndNothingStored()
    {
        var owner = await JobTestKit.OwnerAsync(portal);
        using var content = new MultipartFormDataContent
        {
            { new StringContent("t"), "name" }, { new StringContent("tabular"), "purpose" }, { new StringContent("outcome"), "labelColumn" },
        };
        var form = await owner.Client.GetAsync("/datasets/new");
        var token = form.Document.QuerySelector("#upload-form input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        content.Add(new StringContent(token), "__RequestVerificationToken");
        content.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("a,b\n1,x\n2,y\n")), "file", "t.csv");

        var posted = await owner.Client.PostAsync("/datasets/upload", content);

        Assert.Equal(HttpStatusCode.BadRequest, posted.Status);
        Assert.Contains("no column 'outcome' to use as the target column", posted.Document.Body!.TextContent);
        var list = await owner.Client.GetAsync("/datasets");
        Assert.DoesNotContain("churn", list.Html);
    }
}
