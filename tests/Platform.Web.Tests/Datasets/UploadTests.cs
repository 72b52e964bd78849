using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Datasets;

public sealed class UploadTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Upload_GoodCsv_RedirectsToDatasetWithDistributionSplitAndSamples()
    {
        var (client, _) = await OwnerAsync();

        var posted = await UploadAsync(client, "tickets.csv", TestFiles.GoodCsv(), name: "tickets");

        Assert.Equal(HttpStatusCode.Redirect, posted.Status);
        var page = await client.FollowAsync(posted);
        Assert.Equal("tickets v1", page.Text("h1"));
        var bars = page.Document.QuerySelectorAll("#label-distribution g.bar");
        Assert.Equal(["spam", "ham", "other"], bars.Select(b => b.GetAttribute("data-label")));
        Assert.Equal(["6", "4", "3"], bars.Select(b => b.GetAttribute("data-value")));
        var train = int.Parse(page.Text("#train-count .stat-value"));
        var validation = int.Parse(page.Text("#validation-count .stat-value"));
        Assert.Equal(13, train + validation);
        Assert.InRange(validation, 3, 4);
        Assert.Contains(page.Document.QuerySelectorAll("#samples td.sample-text"), td => td.TextContent == "Line one 0\nwith a quoted newline");
        Assert.Contains("3 classes have fewer than 10 examples, which rarely train well: 'other' (3), 'ham' (4), 'spam' (6).", page.Text("#dataset-warnings"));
    }

    [Fact]
    public async Task Upload_GoodImageZip_ShowsThumbnailsServedAsPng()
    {
        var (client, _) = await OwnerAsync();

        var page = await client.FollowAsync(await UploadAsync(client, "pets.zip", TestFiles.GoodImageZip(), name: "pets"));

        Assert.Equal("pets v1", page.Text("h1"));
        var thumbnails = page.Document.QuerySelectorAll("#samples img").Select(i => i.GetAttribute("src")!).ToList();
        Assert.NotEmpty(thumbnails);
        using var image = await client.Http.GetAsync(thumbnails[0]);
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0x89, (await image.Content.ReadAsByteArrayAsync())[0]);
    }

    [Fact]
    public async Task Upload_TextFileAsUnlabelledText_CreatesCorpusOfferedForPreTraining()
    {
        var (client, _) = await OwnerAsync();
        var lines = string.Concat(Enumerable.Range(0, 40).Select(i => $"Customer {i} asks where order {i * 7} is.\n"));

        var posted = await UploadAsync(client, "mail.txt", Encoding.UTF8.GetBytes(lines), name: "support-mail", purpose: "corpus");

        Assert.Equal(HttpStatusCode.Redirect, posted.Status);
        var page = await client.FollowAsync(posted);
        Assert.Equal("support-mail v1", page.Text("h1"));
        Assert.Equal("Unlabelled text", page.Text(".badge"));
        Assert.NotNull(page.Document.QuerySelector("#pretrain-model"));
        Assert.Null(page.Document.QuerySelector("#label-distribution"));
        Assert.Equal("Customer 0 asks where order 0 is.", page.Document.QuerySelector("#samples td.sample-text")!.TextContent);
        // A corpus has no labels: the classifier launch form does not offer it.
        var launch = await client.GetAsync("/jobs/new");
        Assert.DoesNotContain("support-mail", launch.Html);
    }

    [Fact]
    public async Task Upload_ZipAsUnlabelledText_Refused()
    {
        var (client, _) = await OwnerAsync();

        var posted = await UploadAsync(client, "pets.zip", TestFiles.GoodImageZip(), name: "pets", purpose: "corpus");

        Assert.Equal(HttpStatusCode.BadRequest, posted.Status);
        Assert.Contains("neither a .txt nor a .csv", posted.Text("#upload-error"));
    }

    [Fact]
    public async Task Upload_SameNameTwice_CreatesVersionTwo()
    {
        var (client, _) = await OwnerAsync();
        await UploadAsync(client, "a.csv", TestFiles.GoodCsv(), name: "versions");

        var second = await client.FollowAsync(await UploadAsync(client, "a.csv", TestFiles.GoodCsv(), name: "versions"));

        Assert.Equal("versions v2", second.Text("h1"));
    }

    public static TheoryData<string, string, byte[], string> BadUploads => new()
    {
        { "malformed CSV", "bad.csv", TestFiles.Csv("text,label\n\"never closed,spam\nmore,ham\n"), "closing quote is missing" },
        { "Latin-1 CSV", "latin1.csv", Encoding.Latin1.GetBytes("text,label\nCafé crème,food\nThé vert,drink\nCafé noir,food\nThé noir,drink\n"), "not valid UTF-8" },
        { "one class", "one.csv", TestFiles.Csv("text,label\nfirst,spam\nsecond,spam\nthird,spam\n"), "at least 2 classes" },
        { "zip slip", "slip.zip", TestFiles.Zip(("../evil.png", TestFiles.Png(4, 4, 1)), ("cats/a.png", TestFiles.Png(4, 4, 2))), "'..' is not allowed" },
        { "zip bomb", "bomb.zip", TestFiles.Zip(("cats/zeros.png", new byte[10 * 1024 * 1024]), ("dogs/a.png", TestFiles.Png(4, 4, 2))), "zip bomb" },
        { "symlink entry", "link.zip", TestFiles.Zip([("cats/link.png", Encoding.UTF8.GetBytes("/etc/passwd"), 0xA1FF), ("dogs/a.png", TestFiles.Png(4, 4, 2), null)]), "symbolic link" },
        { "text file named .png", "fake.zip", TestFiles.Zip(("cats/fake.png", Encoding.UTF8.GetBytes("I am not a PNG, just text.")), ("cats/b.png", TestFiles.Png(4, 4, 3)), ("dogs/a.png", TestFiles.Png(4, 4, 2)), ("dogs/c.png", TestFiles.Png(4, 4, 4))), "'cats/fake.png' is not a PNG or JPEG image" },
        { "not a zip", "pets.zip", TestFiles.Csv("text,label\na,b\n"), "not a valid ZIP archive" },
        { "neither csv nor zip", "notes.docx", TestFiles.Csv("hello"), "neither a .csv nor a .zip" },
    };

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task Upload_BadFile_ShowsReasonOnPageAndStoresNothing(string why, string fileName, byte[] content, string expected)
    {
        var (client, tenantId) = await OwnerAsync();

        var page = await UploadAsync(client, fileName, content, name: "bad " + why);

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Contains(expected, page.Text("#upload-error"));
        Assert.True(page.Has("#upload-form"), "the form is shown again to retry");
        Assert.Equal("bad " + why, page.Document.QuerySelector("#name")!.GetAttribute("value"));
        await AssertNothingStoredAsync(tenantId);
    }

    [Fact]
    public async Task Upload_OverTheLimit_IsRefusedAndStoresNothing()
    {
        var (client, tenantId) = await OwnerAsync();
        var big = new StringBuilder("text,label\n");
        var i = 0;
        while (big.Length <= PortalFactory.UploadLimitBytes + 100_000)
        {
            big.Append($"row number {i} with some padding text to grow the file,{(i++ % 2 == 0 ? "a" : "b")}\n");
        }

        var page = await UploadAsync(client, "big.csv", TestFiles.Csv(big.ToString()), name: "too big");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, page.Status);
        Assert.Contains("upload limit", page.Text("#upload-error"));
        await AssertNothingStoredAsync(tenantId);
    }

    [Fact]
    public async Task Upload_ChunkedOverTheLimit_IsRefusedWhileStreaming()
    {
        var (client, tenantId) = await OwnerAsync();
        var form = await client.GetAsync("/datasets/new");
        var content = UploadContent(form, "big.csv", TestFiles.Csv("text,label\n" + new string('x', (int)PortalFactory.UploadLimitBytes + 1024) + ",a\n"), "chunked");
        // No Content-Length: the size is only known by reading, like a browser streaming a huge file.
        var body = new StreamContent(new MemoryStream(await content.ReadAsByteArrayAsync()));
        body.Headers.ContentType = content.Headers.ContentType;
        body.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/datasets/upload") { Content = body };
        request.Headers.TransferEncodingChunked = true;

        var page = await Page.ReadAsync("/datasets/upload", await client.Http.SendAsync(request));

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Contains("upload limit", page.Text("#upload-error"));
        await AssertNothingStoredAsync(tenantId);
    }

    [Fact]
    public async Task Upload_WithoutAntiforgeryToken_IsRejectedAndStoresNothing()
    {
        var (client, tenantId) = await OwnerAsync();
        using var content = new MultipartFormDataContent
        {
            { new StringContent("sneaky"), "name" },
            { new ByteArrayContent(TestFiles.GoodCsv()), "file", "a.csv" },
        };

        var page = await client.PostAsync("/datasets/upload", content);

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Contains("did not come from this site", page.Text("#upload-error"));
        await AssertNothingStoredAsync(tenantId);
    }

    [Fact]
    public async Task Upload_SuspendedTenant_IsRefusedWithTheReason()
    {
        var (client, tenantId) = await OwnerAsync();
        var form = await client.GetAsync("/datasets/new");
        var suspended = await portal.WithServicesAsync(sp =>
            sp.GetRequiredService<Platform.Data.Tenants.SuspendTenantCommand>().ExecuteAsync(tenantId, "Payment failed three times"));
        Assert.True(suspended.IsSuccess);

        var page = await client.PostAsync("/datasets/upload", UploadContent(form, "a.csv", TestFiles.GoodCsv(), "blocked"));

        Assert.Equal(HttpStatusCode.Forbidden, page.Status);
        Assert.Contains("Payment failed three times", page.Text("#upload-error"));
        await AssertNothingStoredAsync(tenantId);
    }

    [Fact]
    public async Task DatasetPage_OtherTenantsDataset_IsNotFound()
    {
        var (owner, _) = await OwnerAsync();
        var detail = await owner.FollowAsync(await UploadAsync(owner, "a.csv", TestFiles.GoodCsv(), name: "private"));
        var (stranger, _) = await OwnerAsync();

        var page = await stranger.GetAsync(new Uri(new Uri("http://localhost"), detail.Url).AbsolutePath);

        Assert.Equal(HttpStatusCode.NotFound, page.Status);
        Assert.Equal("Page not found", page.Text("h1"));
        Assert.DoesNotContain("private", page.Html);
    }

    [Fact]
    public async Task Columns_CsvHeader_ReturnsSelectsWithConventionalPreselection()
    {
        var (client, tenantId) = await OwnerAsync();
        var form = await client.GetAsync("/datasets/new");

        var fragment = await client.PostAsync("/datasets/columns",
            UploadContent(form, "reviews.csv", TestFiles.Csv("id,Review text,label,stars\n1,great,pos,5\n"), "reviews"));

        Assert.Equal(HttpStatusCode.OK, fragment.Status);
        var options = fragment.Document.QuerySelectorAll("select#textColumn option").Select(o => o.TextContent);
        Assert.Equal(["id", "Review text", "label", "stars"], options);
        Assert.Equal("id", fragment.Document.QuerySelector("select#textColumn option[selected]")?.TextContent);
        Assert.Equal("label", fragment.Document.QuerySelector("select#labelColumn option[selected]")?.TextContent);
        await AssertNothingStoredAsync(tenantId);
    }

    [Fact]
    public async Task Columns_HeaderWithDuplicateName_ExplainsAndKeepsFreeTextFields()
    {
        var (client, _) = await OwnerAsync();
        var form = await client.GetAsync("/datasets/new");

        var fragment = await client.PostAsync("/datasets/columns",
            UploadContent(form, "dup.csv", TestFiles.Csv("text,text\na,b\n"), "dup"));

        Assert.Contains("twice", fragment.Text("#column-note"));
        Assert.True(fragment.Has("input#textColumn"));
    }

    private async Task<(PortalClient Client, Guid TenantId)> OwnerAsync()
    {
        var owner = await portal.CreateUserAsync();
        var tenant = await portal.CreateTenantAsync(owner);
        var client = portal.CreatePortalClient();
        await client.SignInAsync(owner.Email!);
        return (client, tenant.Id);
    }

    private static async Task<Page> UploadAsync(PortalClient client, string fileName, byte[] content, string name, string? purpose = null)
    {
        var form = await client.GetAsync("/datasets/new");
        return await client.PostAsync("/datasets/upload", UploadContent(form, fileName, content, name, purpose));
    }

    /// <summary>The upload form as a browser sends it: its fields in document order, the file last.</summary>
    private static MultipartFormDataContent UploadContent(Page form, string fileName, byte[] content, string name, string? purpose = null)
    {
        var multipart = new MultipartFormDataContent();
        var element = (AngleSharp.Html.Dom.IHtmlFormElement)form.Document.QuerySelector("#upload-form")!;
        foreach (var (key, value) in PortalClient.FormValues(element))
        {
            multipart.Add(new StringContent(key switch { "name" => name, "purpose" => purpose ?? value, _ => value }), key);
        }
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        multipart.Add(file, "file", fileName);
        return multipart;
    }

    private async Task AssertNothingStoredAsync(Guid tenantId)
    {
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM datasets WHERE tenant_id = '{tenantId}'"));
        Assert.Empty(portal.TenantFiles(tenantId));
    }
}
