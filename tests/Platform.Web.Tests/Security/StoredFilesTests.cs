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

    [Fact]
    public async Task Upload_ZipOfTinyImages_CountedAsStoredAgainstThePlansStorage()
    {
        // Finding 7, scaled down: a 15.7 MB ZIP of 90,000 tiny PNGs became 90,002 files and 391 MB on disk.
        // Here 1,200 distinct 8x8 PNGs zip to well under the plan's 2 MB but take a 4 KiB block each.
        using var raised = portal.WithWebHostBuilder(b => b.UseSetting("Datasets:MaxUploadBytes", (8 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var owner = await portal.CreateUserAsync();
        var tenant = await portal.CreateTenantAsync(owner);
        await Platform.Web.Tests.Jobs.JobTestKit.ExecuteAsync(portal, $"""
            INSERT INTO billing_plans (id, code, name, currency, monthly_fee, included_gpu_hours, included_cpu_hours,
                gpu_overage_per_hour, cpu_overage_per_hour, max_concurrent_jobs, max_dataset_bytes, max_storage_bytes, cap_mode)
            VALUES ('{tenant.Id}', 'small-{tenant.Id:N}', 'Small', 'USD', 0, 1, 1, 0, 0, 1, 0, {2 * 1024 * 1024}, 'Hard');
            INSERT INTO subscription_plan_changes (tenant_id, effective_at, plan_id) VALUES ('{tenant.Id}', now(), '{tenant.Id}');
            """);
        using var client = new PortalClient(raised.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));
        await client.SignInAsync(owner.Email!);
        var many = TinyImagesZip(1_200);
        Assert.InRange(many.Length, 1, 1024 * 1024);

        var refused = await UploadAsync(client, many, "tiny");
        var fits = await UploadAsync(client, TinyImagesZip(100), "few");

        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Matches(@"This upload takes [\d.]+ MB on disk \(1,202 files\), which would bring the organisation's datasets to [\d.]+ MB; the Small plan includes 2 MB\.",
            refused.Text("#upload-error"));
        Assert.Equal(HttpStatusCode.Redirect, fits.Status);
        // What it recorded is what it took: a block per image at least (and every file once).
        var stored = await portal.Database.ScalarAsync<long>($"SELECT sum(stored_bytes)::bigint FROM dataset_files WHERE tenant_id = '{tenant.Id}'");
        Assert.InRange(stored, 102L * 4096, 2L * 1024 * 1024);
        Assert.Equal(102L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM dataset_files WHERE tenant_id = '{tenant.Id}'"));
    }

    /// <summary><paramref name="count"/> distinct 8x8 grey PNGs in two label folders.</summary>
    private static byte[] TinyImagesZip(int count) =>
        TestFiles.Zip(Enumerable.Range(0, count)
            .Select(i => ($"{(i % 2 == 0 ? "cats" : "dogs")}/{i:D6}.png", TestFiles.Png(8, 8 + i / 200, (byte)(i % 200))))
            .ToArray());

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
