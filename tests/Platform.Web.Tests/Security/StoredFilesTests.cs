using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Platform.Web.Tests.Datasets;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Security;

/// <summary>Finding 7 of issue 11: a small ZIP of tiny images became 90,002 files; files are counted as stored.</summary>
public sealed class StoredFilesTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Upload_PastTheStoredFileLimit_RefusedAndNothingAdded()
    {
        using var limited = portal.WithWebHostBuilder(b => b.UseSetting("Datasets:MaxStoredFilesPerTenant", "12"));
        var owner = await portal.CreateUserAsync();
        await portal.CreateTenantAsync(owner);
        using var client = new PortalClient(limited.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));
        await client.SignInAsync(owner.Email!);

        // 6 images, the manifest and the split: 8 files.
        var first = await UploadAsync(client, TestFiles.GoodImageZip(3), "pets");
        Assert.Equal(HttpStatusCode.Redirect, first.Status);
        var filesBefore = Directory.EnumerateFiles(portal.StorageRoot, "*", SearchOption.AllDirectories).Count();
        // The first 3 images of each class are the same files (shared); 6 new images, a manifest and a split: 16 in all.
        var second = await UploadAsync(client, TestFiles.GoodImageZip(6), "more-pets");

        Assert.Equal(HttpStatusCode.Conflict, second.Status);
        Assert.Contains("This upload adds 8 files, which would bring the organisation's datasets to 16 stored files; at most 12 are allowed.",
            second.Text("#upload-error"));
        Assert.Equal(filesBefore, Directory.EnumerateFiles(portal.StorageRoot, "*", SearchOption.AllDirectories).Count());
        Assert.Equal(1L, await portal.Database.ScalarAsync<long>("SELECT count(*) FROM datasets"));
    }

    private static async Task<Page> UploadAsync(PortalClient client, byte[] zip, string name)
    {
        var form = await client.GetAsync("/datasets/new");
        var multipart = new MultipartFormDataContent();
        var element = (AngleSharp.Html.Dom.IHtmlFormElement)form.Document.QuerySelector("#upload-form")!;
        foreach (var (key, value) in PortalClient.FormValues(element))
            multipart.Add(new StringContent(key == "name" ? name : value), key);
        multipart.Add(new ByteArrayContent(zip), "file", name + ".zip");
        return await client.PostAsync("/datasets/upload", multipart);
    }
}
