using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Accounts;

/// <summary>The framework's rate limiter on sign-in and sign-up posts, per client address (finding 6 and 9 of issue 11).</summary>
public sealed class RateLimitTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task SignIn_PastTheClientLimit_Returns429PageAndTheFormStillShows()
    {
        using var limited = portal.WithWebHostBuilder(b => b.UseSetting("RateLimits:SignInsPerMinute", "3"));
        using var client = new PortalClient(limited.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));
        var email = $"nobody-{Guid.NewGuid():N}@example.com";
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.SignInAsync(email, "wrong")).Status);

        var refused = await client.SignInAsync(email, "wrong");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Equal("Too many attempts", refused.Text("h1"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/account/sign-in")).Status);
    }

    [Fact]
    public async Task SignUp_PastTheClientLimit_Returns429AndCreatesNoAccount()
    {
        using var limited = portal.WithWebHostBuilder(b => b.UseSetting("RateLimits:SignUpsPerHour", "2"));
        using var client = new PortalClient(limited.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));
        Page last = null!;
        var emails = Enumerable.Range(0, 3).Select(_ => $"puppet-{Guid.NewGuid():N}@example.com").ToList();
        foreach (var email in emails)
        {
            var form = await client.GetAsync("/account/sign-up");
            last = await client.SubmitAsync(form, "form", new Dictionary<string, string>
            {
                ["Input.Organisation"] = "Puppet " + email[7..15],
                ["Input.Email"] = email,
                ["Input.Password"] = PortalFactory.Password,
            });
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, last.Status);
        // Sign-ups are received as requests; the background job turns them into accounts.
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM sign_up_requests WHERE email = '{emails[2]}'"));
        Assert.Equal(1L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM sign_up_requests WHERE email = '{emails[1]}'"));
    }
}
