using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Html.Dom;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using Platform.Data.ApiKeys;
using Platform.Web.Accounts.Mail;
using Platform.Web.Tests.Infrastructure;
using Platform.Web.Tests.Jobs;

namespace Platform.Web.Tests.Accounts;

/// <summary>
/// Sign-up that tells nobody which emails have accounts, and launches only for confirmed emails
/// (issue 11, findings 6 and 9): through HTTP, the background job that processes sign-ups and sends
/// the outbox, and the .eml files the portal writes without an SMTP server.
/// </summary>
public sealed class EmailConfirmationTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task SignUp_NewAndExistingEmail_ByteIdenticalAnswersAndTheRightMail()
    {
        var existing = await portal.CreateUserAsync();
        var fresh = $"fresh-{Guid.NewGuid():N}@example.com";
        var organisation = $"Twin {Guid.NewGuid():N}"[..16];

        var (newStatus, newHeaders, newBody) = await PostSignUpAsync(organisation, fresh);
        var (oldStatus, oldHeaders, oldBody) = await PostSignUpAsync(organisation, existing.Email!);

        Assert.Equal(HttpStatusCode.OK, newStatus);
        Assert.Equal(newStatus, oldStatus);
        Assert.Equal(newHeaders, oldHeaders);
        Assert.DoesNotContain(newHeaders, h => h.StartsWith("Set-Cookie", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(newBody, oldBody);
        Assert.Contains("Check your inbox", System.Text.Encoding.UTF8.GetString(newBody));

        await RunMailJobAsync();

        // The new address has an unconfirmed account and its organisation; the existing one got a warning and no second organisation.
        Assert.False(await portal.Database.ScalarAsync<bool>($"SELECT email_confirmed FROM users WHERE email = '{fresh}'"));
        Assert.Equal(1L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM tenants WHERE name = '{organisation}'"));
        Assert.Equal(1L, await portal.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM tenant_memberships m JOIN users u ON u.id = m.user_id WHERE u.email = '{fresh}'"));
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM tenant_memberships m JOIN users u ON u.id = m.user_id WHERE u.email = '{existing.Email}'"));
        Assert.Equal("Confirm your email address", Assert.Single(MailsTo(fresh)).Subject);
        var warning = Assert.Single(MailsTo(existing.Email!));
        Assert.Equal("Someone tried to sign up with your address", warning.Subject);
        Assert.DoesNotContain("confirm-email?token=", warning.TextBody);
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>("SELECT count(*) FROM sign_up_requests"));
    }

    [Fact]
    public async Task ConfirmationLink_FollowedTwice_ConfirmsOnceThenRefused()
    {
        var email = await SignUpAsync();
        using var client = portal.CreatePortalClient();
        // Unconfirmed, the account signs in and sees its portal.
        var signedIn = await client.FollowAsync(await client.SignInAsync(email));
        Assert.Equal(HttpStatusCode.OK, signedIn.Status);
        Assert.Contains(email, signedIn.Text(".user-email"));

        var link = ConfirmationLink(email);
        var confirmed = await client.GetAsync(link);
        var again = await client.GetAsync(link);

        Assert.Equal("Email address confirmed", confirmed.Text("h1"));
        Assert.True(await portal.Database.ScalarAsync<bool>($"SELECT email_confirmed FROM users WHERE email = '{email}'"));
        Assert.Equal("This link has expired or was already used.", again.Text("#confirm-email-error"));
    }

    [Fact]
    public async Task ConfirmationLink_PastItsLifetime_RefusedAndNothingConfirmed()
    {
        var email = await SignUpAsync();
        var link = ConfirmationLink(email);
        portal.Time.Advance(TimeSpan.FromHours(25));
        try
        {
            using var client = portal.CreatePortalClient();
            var page = await client.GetAsync(link);
            var forged = await client.GetAsync(EmailConfirmation.PagePath + "?token=" + new string('A', 43));

            Assert.Equal("This link has expired or was already used.", page.Text("#confirm-email-error"));
            Assert.Equal("This link has expired or was already used.", forged.Text("#confirm-email-error"));
            Assert.False(await portal.Database.ScalarAsync<bool>($"SELECT email_confirmed FROM users WHERE email = '{email}'"));
        }
        finally
        {
            portal.Time.Advance(TimeSpan.FromHours(-25));
        }
    }

    [Fact]
    public async Task Launch_UnconfirmedEmail_RefusedInPortalAndApiUntilConfirmedThroughAResentLink()
    {
        await JobTestKit.EnsureCatalogAsync(portal);
        var user = await portal.CreateUserAsync(null, confirmed: false);
        var tenant = await portal.CreateTenantAsync(user);
        var owner = new Owner(portal.CreatePortalClient(), tenant.Id, user.Id);
        await owner.Client.SignInAsync(user.Email!);
        var datasetId = await JobTestKit.UploadCsvAsync(owner.Client);
        var key = await JobTestKit.AsTenantAsync(portal, owner, sp => sp.GetRequiredService<CreateApiKeyCommand>().ExecuteAsync("tests"));
        using var api = portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key.Value.PlainText);

        var form = await owner.Client.SubmitAsync(await owner.Client.GetAsync("/jobs/new"), "#launch-form");
        using var refused = await api.PostAsJsonAsync("/api/v1/jobs", new { datasetId, baseModel = "bert-mini-random", preset = "fast" });

        Assert.Equal(HttpStatusCode.OK, form.Status);
        Assert.Contains("Confirm your email address before launching jobs", form.Text("#launch-error"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("Confirm your email address", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM jobs WHERE tenant_id = '{tenant.Id}'"));

        // No mail was ever sent to this account: it asks for one (twice: the second is too soon).
        var page = await owner.Client.GetAsync(EmailConfirmation.PagePath);
        Assert.Contains("is not confirmed yet", page.Text("#confirm-email-status"));
        var sent = await owner.Client.FollowAsync(await owner.Client.SubmitAsync(page, "#resend-form"));
        var tooSoon = await owner.Client.FollowAsync(await owner.Client.SubmitAsync(page, "#resend-form"));
        Assert.Contains("A new link is on its way", sent.Text("#confirm-email-sent"));
        Assert.Contains("sent a moment ago", tooSoon.Text("#confirm-email-sent"));
        await RunMailJobAsync();
        Assert.Equal("Email address confirmed", (await owner.Client.GetAsync(ConfirmationLink(user.Email!))).Text("h1"));

        using var launched = await api.PostAsJsonAsync("/api/v1/jobs", new { datasetId, baseModel = "bert-mini-random", preset = "fast" });
        Assert.Equal(HttpStatusCode.Created, launched.StatusCode);
    }

    [Fact]
    public async Task Resend_WithoutAntiforgeryToken_Refused400AndSendsNothing()
    {
        var user = await portal.CreateUserAsync(null, confirmed: false);
        await portal.CreateTenantAsync(user);
        using var client = portal.CreatePortalClient();
        await client.SignInAsync(user.Email!);

        var posted = await client.PostAsync(EmailConfirmation.PagePath + "/resend", new FormUrlEncodedContent([]));

        Assert.Equal(HttpStatusCode.BadRequest, posted.Status);
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM email_outbox WHERE to_address = '{user.Email}'"));
    }

    /// <summary>Signs up a new address through the form and runs the background job; returns the address.</summary>
    private async Task<string> SignUpAsync()
    {
        var email = $"founder-{Guid.NewGuid():N}@example.com";
        var (status, _, _) = await PostSignUpAsync($"Org {Guid.NewGuid():N}"[..16], email);
        Assert.Equal(HttpStatusCode.OK, status);
        await RunMailJobAsync();
        return email;
    }

    /// <summary>
    /// A fresh browser's sign-up: the form fetched (antiforgery cookie and token), then posted. Every header but Date and
    /// X-Request-ID (one per request) is returned, and the body with its forms' antiforgery tokens blanked (each browser
    /// gets its own token, which says nothing about the address) and Blazor's encrypted component state as its length.
    /// </summary>
    private async Task<(HttpStatusCode Status, List<string> Headers, byte[] Body)> PostSignUpAsync(string organisation, string email)
    {
        using var client = portal.CreatePortalClient();
        var form = await client.GetAsync("/account/sign-up");
        var values = PortalClient.FormValues((IHtmlFormElement)form.Document.QuerySelector("form")!);
        values.RemoveAll(v => v.Key.StartsWith("Input.", StringComparison.Ordinal));
        values.Add(new("Input.Organisation", organisation));
        values.Add(new("Input.Email", email));
        values.Add(new("Input.Password", PortalFactory.Password));
        using var response = await client.Http.PostAsync("/account/sign-up", new FormUrlEncodedContent(values));
        var headers = response.Headers.Concat(response.Content.Headers)
            .Where(h => h.Key != "Date" && !h.Key.Equals("X-Request-ID", StringComparison.OrdinalIgnoreCase))
            .Select(h => $"{h.Key}: {string.Join(", ", h.Value)}")
            .Order(StringComparer.Ordinal)
            .ToList();
        var body = System.Text.RegularExpressions.Regex.Replace(await response.Content.ReadAsStringAsync(),
            "(name=\"__RequestVerificationToken\"[^>]*value=\")[^\"]*", "$1");
        // Blazor's persisted component state is encrypted with a fresh IV per response: kept by its length only.
        body = System.Text.RegularExpressions.Regex.Replace(body, "(<!--Blazor-Server-Component-State:)(.*?)-->", m => $"{m.Groups[1].Value}{m.Groups[2].Length}-->");
        return (response.StatusCode, headers, System.Text.Encoding.UTF8.GetBytes(body));
    }

    private Task RunMailJobAsync() =>
        portal.WithServicesAsync(sp => sp.GetRequiredService<AccountMailJobs>().RunAsync(CancellationToken.None));

    private List<MimeMessage> MailsTo(string address) =>
        !Directory.Exists(portal.MailDirectory)
            ? []
            // Named by the outbox row's id, a version 7 Guid: in name order, oldest first.
            : Directory.EnumerateFiles(portal.MailDirectory, "*.eml")
                .Order(StringComparer.Ordinal)
                .Select(path => MimeMessage.Load(path))
                .Where(m => m.To.Mailboxes.Any(a => string.Equals(a.Address, address, StringComparison.OrdinalIgnoreCase)))
                .ToList();

    /// <summary>The path and query of the newest confirmation link mailed to <paramref name="address"/>.</summary>
    private string ConfirmationLink(string address)
    {
        var body = MailsTo(address).Last(m => m.Subject == "Confirm your email address").TextBody ?? "";
        var match = System.Text.RegularExpressions.Regex.Match(body, @"https?://\S+(/account/confirm-email\?token=[A-Za-z0-9_-]+)");
        Assert.True(match.Success, body);
        return match.Groups[1].Value;
    }
}
