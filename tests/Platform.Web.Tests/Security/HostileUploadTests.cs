using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.ApiKeys;
using Platform.Web.Tests.Datasets;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Security;

/// <summary>
/// Every streamed upload endpoint (portal and API) opens its body with the one reader, so each refuses
/// the same hostile bodies the same way: a wrong content type, no file, a declared size past the limit,
/// and a body cut off inside the file. Real multipart bodies, written byte by byte, through the test host.
/// </summary>
public sealed class HostileUploadTests : IClassFixture<PortalFactory>
{
    private const string Boundary = "----hostile-upload-boundary";

    private readonly PortalFactory _portal;

    public HostileUploadTests(PortalFactory portal)
    {
        _portal = portal;
        // Small, as the datasets' limit in tests, so a too-large body stays small too.
        _portal.Settings["Catalog:MaxUploadBytes"] = PortalFactory.UploadLimitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public enum Endpoint
    {
        PortalDataset,
        PortalCatalog,
        PortalBatch,
        ApiDataset,
        ApiBaseModel,
        ApiBatch,
    }

    public static TheoryData<Endpoint> Endpoints => [.. Enum.GetValues<Endpoint>()];

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Upload_HostileBodies_RefusedWithTheSameReasonsAndNothingStored(Endpoint endpoint)
    {
        var target = await TargetAsync(endpoint);

        var notMultipart = await target.PostAsync(new StringContent("{\"file\": \"x\"}", Encoding.UTF8, "application/json"));
        var noFile = await target.PostAsync(Multipart(target.Fields, file: null, close: true));
        var tooLarge = await target.PostAsync(new DeclaredLengthContent(target.MaxFileBytes + 64 * 1024 + 1));
        var truncated = await target.PostAsync(Multipart(target.Fields, (target.FileName, Encoding.UTF8.GetBytes("text,label\nhello,a\nworld,b\n")), close: false));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notMultipart.Status);
        Assert.Equal(HttpStatusCode.BadRequest, noFile.Status);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.Status);
        Assert.Equal(HttpStatusCode.BadRequest, truncated.Status);
        if (target.ErrorSelector is { } error)
        {
            Assert.Contains("multipart/form-data", notMultipart.Page!.Text(error));
            Assert.Contains("Choose a", noFile.Page!.Text(error));
            Assert.Contains("truncated", truncated.Page!.Text(error));
            // The batch form declares its limit to the server (as the API's), which refuses with its status page before the reader.
            if (endpoint != Endpoint.PortalBatch)
                Assert.Contains("upload limit", tooLarge.Page!.Text(error));
        }
        else
        {
            // The batch endpoint declares multipart in its OpenAPI metadata (Accepts), so routing turns JSON away before the
            // reader; the others answer through the reader. Both say the same.
            Assert.True(notMultipart.Code == "unsupported_media_type", notMultipart.Body);
            Assert.Contains("multipart/form-data", notMultipart.Detail);
            Assert.Equal(("invalid_parameter", "file"), (noFile.Code, noFile.Param));
            // The batch endpoint declares its limit (the idempotency check reads the body first), so the server refuses before the reader.
            Assert.Equal(endpoint == Endpoint.ApiBatch ? "body_too_large" : "file_too_large", tooLarge.Code);
            Assert.Equal(("invalid_file", "file"), (truncated.Code, truncated.Param));
            Assert.Contains("truncated", truncated.Detail);
        }
        Assert.Equal(0L, await _portal.Database.ScalarAsync<long>(
            $"SELECT (SELECT count(*) FROM datasets WHERE tenant_id = '{target.Owner.TenantId}' AND name <> 'pets') + (SELECT count(*) FROM jobs WHERE tenant_id = '{target.Owner.TenantId}' AND kind = 'batch-predict')"));
    }

    [Fact]
    public async Task Upload_GoodBodies_AcceptedByEachDatasetAndBatchEndpoint()
    {
        var portalDataset = await TargetAsync(Endpoint.PortalDataset);
        var apiDataset = await TargetAsync(Endpoint.ApiDataset);
        var portalBatch = await TargetAsync(Endpoint.PortalBatch);
        var apiBatch = await TargetAsync(Endpoint.ApiBatch);

        var page = await portalDataset.PostAsync(Multipart(portalDataset.Fields, ("good.csv", TestFiles.GoodCsv()), close: true));
        var api = await apiDataset.PostAsync(Multipart(apiDataset.Fields, ("good.csv", TestFiles.GoodCsv()), close: true));
        var batchPage = await portalBatch.PostAsync(Multipart(portalBatch.Fields, ("photos.zip", TestFiles.GoodImageZip()), close: true));
        var batchApi = await apiBatch.PostAsync(Multipart(apiBatch.Fields, ("photos.zip", TestFiles.GoodImageZip()), close: true));

        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.StartsWith("/datasets/", page.Page!.Location);
        Assert.Equal(HttpStatusCode.Created, api.Status);
        Assert.Equal(HttpStatusCode.Redirect, batchPage.Status);
        Assert.StartsWith("/jobs/", batchPage.Page!.Location);
        Assert.Equal(HttpStatusCode.Created, batchApi.Status);
        Assert.Equal(1L, await _portal.Database.ScalarAsync<long>($"SELECT count(*) FROM datasets WHERE tenant_id = '{apiDataset.Owner.TenantId}'"));
        Assert.Equal(1L, await _portal.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM jobs WHERE tenant_id = '{portalBatch.Owner.TenantId}' AND kind = 'batch-predict' AND state = 'Queued'"));
    }

    /// <summary>Where to post, as whom, with which form fields before the file, and how the endpoint answers.</summary>
    private sealed record Target(Owner Owner, HttpClient Http, string Path, List<KeyValuePair<string, string>> Fields, string FileName,
        long MaxFileBytes, string? ErrorSelector)
    {
        public async Task<Answer> PostAsync(HttpContent content)
        {
            using var response = await Http.PostAsync(Path, content);
            if (ErrorSelector is not null || !Path.StartsWith("/api/", StringComparison.Ordinal))
                return new Answer(response.StatusCode, await Infrastructure.Page.ReadAsync(Path, response), "", null);
            var body = await response.Content.ReadAsStringAsync();
            return new Answer(response.StatusCode, null, body, body.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json") == true
                ? JsonDocument.Parse(body).RootElement.Clone() : null);
        }
    }

    private sealed record Answer(HttpStatusCode Status, Page? Page, string Body, JsonElement? Problem)
    {
        public string? Code => Problem?.TryGetProperty("code", out var code) == true ? code.GetString() : null;
        public string? Param => Problem?.TryGetProperty("param", out var param) == true ? param.GetString() : null;
        public string Detail => Problem?.GetProperty("detail").GetString() ?? "";
    }

    private async Task<Target> TargetAsync(Endpoint endpoint)
    {
        var owner = await JobTestKit.OwnerAsync(_portal);
        var isBatch = endpoint is Endpoint.PortalBatch or Endpoint.ApiBatch;
        var modelId = isBatch ? await ImageModelAsync(owner) : Guid.Empty;
        var path = endpoint switch
        {
            Endpoint.PortalDataset => "/datasets/upload",
            Endpoint.PortalCatalog => "/models/catalog/upload",
            Endpoint.PortalBatch => $"/models/{modelId}/batch",
            Endpoint.ApiDataset => "/api/v1/datasets",
            Endpoint.ApiBaseModel => "/api/v1/base-models/uploads",
            _ => $"/api/v1/models/{modelId}/batch-predictions",
        };
        var fileName = endpoint switch
        {
            Endpoint.PortalDataset or Endpoint.ApiDataset => "hostile.csv",
            _ => "hostile.zip",
        };
        var maxFile = isBatch ? Platform.Jobs.Predictions.LaunchBatchPredictionCommand.MaxUploadBytes : PortalFactory.UploadLimitBytes;
        if (endpoint is Endpoint.ApiDataset or Endpoint.ApiBaseModel or Endpoint.ApiBatch)
        {
            var key = await JobTestKit.AsTenantAsync(_portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("uploads"));
            var http = _portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Value.PlainText);
            List<KeyValuePair<string, string>> apiFields = isBatch ? [] : [new("name", "hostile")];
            return new Target(owner, http, path, apiFields, fileName, maxFile, null);
        }
        // The portal's forms carry the antiforgery token before the file; the dataset form's token serves every form of this session.
        var form = await owner.Client.GetAsync("/datasets/new");
        var fields = PortalClient.FormValues((AngleSharp.Html.Dom.IHtmlFormElement)form.Document.QuerySelector("#upload-form")!)
            .Select(f => f.Key == "name" ? new KeyValuePair<string, string>("name", "hostile") : f).ToList();
        if (isBatch)
            fields = fields.Where(f => f.Key.StartsWith("__", StringComparison.Ordinal)).ToList();
        var selector = endpoint == Endpoint.PortalBatch ? "#batch-error" : "#upload-error";
        return new Target(owner, owner.Client.Http, path, fields, fileName, maxFile, selector);
    }

    /// <summary>An image model (an untrained cnn-28-grey on the owner's image dataset), enough to launch a batch against.</summary>
    private async Task<Guid> ImageModelAsync(Owner owner)
    {
        await JobTestKit.EnsureCatalogAsync(_portal);
        var datasetId = await JobTestKit.UploadAsync(owner.Client, "pets.zip", TestFiles.GoodImageZip(), "pets");
        var jobId = await JobTestKit.LaunchAsync(_portal, owner, datasetId, "cnn-28-grey");
        await JobTestKit.SucceedCnnAsync(_portal, jobId);
        return jobId;
    }

    /// <summary>A multipart body as a browser writes it: the fields, then the file; without its closing boundary when <paramref name="close"/> is false.</summary>
    private static ByteArrayContent Multipart(IEnumerable<KeyValuePair<string, string>> fields, (string Name, byte[] Bytes)? file, bool close)
    {
        using var body = new MemoryStream();
        void Write(string text) => body.Write(Encoding.UTF8.GetBytes(text));
        foreach (var (name, value) in fields)
            Write($"--{Boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
        if (file is { } f)
        {
            Write($"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{f.Name}\"\r\nContent-Type: application/octet-stream\r\n\r\n");
            body.Write(f.Bytes);
            if (close)
                Write("\r\n");
        }
        if (close)
            Write($"--{Boundary}--\r\n");
        var content = new ByteArrayContent(body.ToArray());
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={Boundary}");
        return content;
    }

    /// <summary>
    /// A multipart body that declares <paramref name="length"/> bytes and writes them lazily (zeros in one
    /// file part): the endpoint must refuse it from the declared length, before reading.
    /// </summary>
    private sealed class DeclaredLengthContent : HttpContent
    {
        private readonly long _length;

        public DeclaredLengthContent(long length)
        {
            _length = length;
            Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={Boundary}");
            Headers.ContentLength = length;
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var head = Encoding.UTF8.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.zip\"\r\n\r\n");
            await stream.WriteAsync(head);
            var zeros = new byte[64 * 1024];
            for (var left = _length - head.Length; left > 0; left -= zeros.Length)
                await stream.WriteAsync(zeros.AsMemory(0, (int)Math.Min(left, zeros.Length)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _length;
            return true;
        }
    }
}
