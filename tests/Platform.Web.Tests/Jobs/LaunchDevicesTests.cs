using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Data.ApiKeys;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Jobs;

/// <summary>A job that asks for several devices (decision 0044), from the launch form.</summary>
public sealed class LaunchDevicesTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task LaunchForm_TwoDevices_EstimatesTwiceTheDeviceHours()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.UploadCsvAsync(owner.Client);

        var one = await owner.Client.GetAsync("/jobs/new");
        var two = await owner.Client.GetAsync("/jobs/new?Input.Devices=2");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (one.Status, two.Status));
        Assert.False(one.Has("#estimate-devices"));
        Assert.StartsWith("2", two.Text("#estimate-devices"));
        // A new organisation may run two jobs at once, so a job may ask for up to two devices.
        Assert.Equal("2", two.Document.QuerySelector("#devices")!.GetAttribute("max"));
        var hours = (Page page) => double.Parse(
            page.Document.QuerySelector("#estimate-cost [data-hours]")!.GetAttribute("data-hours")!, CultureInfo.InvariantCulture);
        // The quota check rounds hours to 6 decimals; a small CSV's job is a few millionths of an hour.
        Assert.InRange(hours(two), 2 * hours(one) - 1.5e-6, 2 * hours(one) + 1.5e-6);
        Assert.True(hours(one) > 0);
    }

    [Fact]
    public async Task Launch_TwoDevices_QueuesAJobOnTwoDevicesAndCountsBothAgainstTheCap()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var owner = await JobTestKit.OwnerAsync(portal);
        await JobTestKit.UploadCsvAsync(owner.Client);
        var form = await owner.Client.GetAsync("/jobs/new");

        var posted = await owner.Client.SubmitAsync(form, "#launch-form", new Dictionary<string, string> { ["Input.Devices"] = "2" });
        var tooMany = await owner.Client.SubmitAsync(form, "#launch-form", new Dictionary<string, string> { ["Input.Devices"] = "3" });

        Assert.Equal(HttpStatusCode.Redirect, posted.Status);
        Assert.Equal(2, await portal.Database.ScalarAsync<int>($"SELECT devices FROM jobs WHERE tenant_id = '{owner.TenantId}'"));
        Assert.Equal(2, await portal.Database.ScalarAsync<int>($"SELECT devices FROM job_queue WHERE tenant_id = '{owner.TenantId}'"));
        Assert.Contains("at most 2 devices", tooMany.Text("#launch-error"));
        var again = await owner.Client.GetAsync("/jobs/new");
        Assert.Equal("2", again.Text("#quota-active"));
        // The job's page and the API say how many devices it runs on.
        var jobId = Guid.Parse(posted.Location!.Split('/')[^1]);
        var jobPage = await owner.Client.GetAsync($"/jobs/{jobId}");
        Assert.StartsWith("2, data-parallel", jobPage.Text("#job-devices"));
        var key = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("devices"));
        using var http = portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key.Value.PlainText);
        var job = await http.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/jobs/{jobId}");
        Assert.Equal(2, job.GetProperty("devices").GetInt32());
    }
}
