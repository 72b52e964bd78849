using System.Net;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Accounts;

public sealed class SignInTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task SignUp_NewEmail_CreatesTenantAndLandsOnItsDashboard()
    {
        using var client = portal.CreatePortalClient();
        var email = $"founder-{Guid.NewGuid():N}@example.com";

        var form = await client.GetAsync("/account/sign-up");
        var posted = await client.SubmitAsync(form, "form", new Dictionary<string, string>
        {
            ["Input.Organisation"] = "Acme Robotics",
            ["Input.Email"] = email,
            ["Input.Password"] = PortalFactory.Password,
        });

        Assert.Equal(HttpStatusCode.Redirect, posted.Status);
        var dashboard = await client.FollowAsync(posted);
        Assert.Equal(HttpStatusCode.OK, dashboard.Status);
        Assert.Equal("Acme Robotics", dashboard.Text("h1"));
        Assert.Contains(email, dashboard.Text(".user-email"));
    }

    [Fact]
    public async Task SignUp_EmailAlreadyUsed_ShowsErrorAndCreatesNoSecondTenant()
    {
        var existing = await portal.CreateUserAsync();
        using var client = portal.CreatePortalClient();

        var form = await client.GetAsync("/account/sign-up");
        var posted = await client.SubmitAsync(form, "form", new Dictionary<string, string>
        {
            ["Input.Organisation"] = "Copycat Ltd",
            ["Input.Email"] = existing.Email!,
            ["Input.Password"] = PortalFactory.Password,
        });

        Assert.Equal(HttpStatusCode.OK, posted.Status);
        Assert.Contains("already taken", posted.Text("#sign-up-error"));
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>("SELECT count(*) FROM tenants WHERE name = 'Copycat Ltd'"));
    }

    [Fact]
    public async Task SignIn_CorrectPassword_RedirectsToReturnUrl()
    {
        var user = await portal.CreateUserAsync();
        await portal.CreateTenantAsync(user);
        using var client = portal.CreatePortalClient();

        var challenge = await client.GetAsync("/datasets");
        Assert.Equal(HttpStatusCode.Redirect, challenge.Status);
        Assert.StartsWith("http://localhost/account/sign-in?ReturnUrl=%2Fdatasets", challenge.Location);

        var form = await client.GetAsync(challenge.Location!);
        var posted = await client.SubmitAsync(form, "form", new Dictionary<string, string>
        {
            ["Input.Email"] = user.Email!,
            ["Input.Password"] = PortalFactory.Password,
        });

        Assert.Equal(HttpStatusCode.Redirect, posted.Status);
        Assert.Equal("/datasets", new Uri(new Uri("http://localhost"), posted.Location).PathAndQuery);
    }

    [Fact]
    public async Task SignIn_ExternalReturnUrl_RedirectsHome()
    {
        var user = await portal.CreateUserAsync();
        await portal.CreateTenantAsync(user);
        using var client = portal.CreatePortalClient();

        var form = await client.GetAsync("/account/sign-in?ReturnUrl=" + Uri.EscapeDataString("//evil.example/steal"));
        var posted = await client.SubmitAsync(form, "form", new Dictionary<string, string>
        {
            ["Input.Email"] = user.Email!,
            ["Input.Password"] = PortalFactory.Password,
        });

        Assert.Equal(HttpStatusCode.Redirect, posted.Status);
        Assert.Equal("/", new Uri(new Uri("http://localhost"), posted.Location).PathAndQuery);
    }

    [Fact]
    public async Task SignIn_WrongPassword_ShowsErrorAndStaysSignedOut()
    {
        var user = await portal.CreateUserAsync();
        using var client = portal.CreatePortalClient();

        var posted = await client.SignInAsync(user.Email!, "not-the-password");

        Assert.Equal(HttpStatusCode.OK, posted.Status);
        Assert.Equal("The email or password is incorrect.", posted.Text("#sign-in-error"));
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).Status);
    }

    [Fact]
    public async Task SignIn_FiveWrongPasswords_LocksOutEvenTheRightPassword()
    {
        var user = await portal.CreateUserAsync();
        using var client = portal.CreatePortalClient();
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("The email or password is incorrect.", (await client.SignInAsync(user.Email!, "wrong")).Text("#sign-in-error"));
        }

        var fifth = await client.SignInAsync(user.Email!, "wrong");
        var correct = await client.SignInAsync(user.Email!);

        Assert.StartsWith("Too many failed attempts", fifth.Text("#sign-in-error"));
        Assert.Equal(HttpStatusCode.OK, correct.Status);
        Assert.Equal("Too many failed attempts: this account is locked for 15 minutes.", correct.Text("#sign-in-error"));
    }

    [Fact]
    public async Task SignIn_PostWithoutAntiforgeryToken_IsRejected()
    {
        var user = await portal.CreateUserAsync();
        using var client = portal.CreatePortalClient();

        var response = await client.Http.PostAsync("/account/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in",
            ["Input.Email"] = user.Email!,
            ["Input.Password"] = PortalFactory.Password,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.StartsWith("platform.auth=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SignOut_SignedIn_EndsTheSession()
    {
        var user = await portal.CreateUserAsync();
        await portal.CreateTenantAsync(user);
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(user.Email!);
        var dashboard = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, dashboard.Status);

        var signedOut = await client.SubmitAsync(dashboard, "form[action='/account/sign-out']");

        Assert.Equal(HttpStatusCode.Redirect, signedOut.Status);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).Status);
    }
}
