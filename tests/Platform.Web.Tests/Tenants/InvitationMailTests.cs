using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Accounts.Mail;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Tenants;

/// <summary>
/// Invitations by email over SMTP (MailKit to a stand-in SMTP server the test starts), and an invitee who
/// signs up from the link joining the organisation without creating one of their own.
/// </summary>
public sealed class InvitationMailTests : IClassFixture<PortalFactory>, IClassFixture<SmtpStandIn>
{
    private readonly PortalFactory _portal;
    private readonly SmtpStandIn _smtp;

    public InvitationMailTests(PortalFactory portal, SmtpStandIn smtp)
    {
        (_portal, _smtp) = (portal, smtp);
        // Before the portal's first request starts its server.
        portal.Settings["Mail:Smtp:Host"] = "127.0.0.1";
        portal.Settings["Mail:Smtp:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        portal.Settings["Mail:Smtp:Security"] = "None";
        portal.Settings["Mail:Smtp:Username"] = "platform-mailer";
        portal.Settings["Mail:Smtp:Password"] = "mailer-secret";
    }

    [Fact]
    public async Task Invite_NewAddress_MailedOverSmtpThenSignUpJoinsWithoutANewOrganisation()
    {
        var owner = await _portal.CreateUserAsync();
        var tenant = await _portal.CreateTenantAsync(owner, "Mailing Org");
        using var ownerClient = _portal.CreatePortalClient();
        await ownerClient.SignInAsync(owner.Email!);
        var invitee = $"newcomer-{Guid.NewGuid():N}@example.com";
        var tenantsBefore = await _portal.Database.ScalarAsync<long>("SELECT count(*) FROM tenants");

        var members = await ownerClient.GetAsync("/members");
        var created = await ownerClient.SubmitAsync(members, "form:has(#invite-email)", new Dictionary<string, string> { ["Invite.Email"] = invitee });
        var copied = created.Document.QuerySelector("#invitation-link")!.GetAttribute("value")!;
        await RunMailJobAsync();

        var invitation = Assert.Single(_smtp.To(invitee));
        Assert.Equal("You are invited to join Mailing Org on Platform", invitation.Subject);
        // The mail's link is on the configured portal address (Mail:PortalUrl), the copied one on the request's.
        Assert.Contains(new Uri(copied).PathAndQuery, invitation.TextBody);
        Assert.Contains(owner.Email!, invitation.TextBody);
        Assert.Contains(_smtp.Received, r => r.To.Contains(invitee) && r.User == "platform-mailer");

        // The invitee has no account: from the invitation page to the sign-up form, which asks for no organisation.
        using var client = _portal.CreatePortalClient();
        var landing = await client.GetAsync(new Uri(copied).PathAndQuery);
        var signUpUrl = landing.Document.QuerySelector("a[href^='/account/sign-up']")!.GetAttribute("href")!;
        var form = await client.GetAsync(signUpUrl);
        Assert.Equal("Mailing Org", form.Text("#sign-up-organisation"));
        Assert.False(form.Has("#organisation"));
        Assert.Equal(invitee, form.Document.QuerySelector("#email")!.GetAttribute("value"));
        var received = await client.SubmitAsync(form, "form", new Dictionary<string, string> { ["Input.Password"] = PortalFactory.Password });
        Assert.True(received.Has("#sign-up-received"), received.Html);
        await RunMailJobAsync();

        Assert.Equal(tenantsBefore, await _portal.Database.ScalarAsync<long>("SELECT count(*) FROM tenants"));
        Assert.Equal(tenant.Id, await _portal.Database.ScalarAsync<Guid>(
            $"SELECT m.tenant_id FROM tenant_memberships m JOIN users u ON u.id = m.user_id WHERE u.email = '{invitee}'"));
        Assert.Equal(1L, await _portal.Database.ScalarAsync<long>(
            $"SELECT count(*) FROM tenant_memberships m JOIN users u ON u.id = m.user_id WHERE u.email = '{invitee}'"));
        var confirmation = _smtp.To(invitee).Single(m => m.Subject == "Confirm your email address");
        var link = Regex.Match(confirmation.TextBody ?? "", @"https?://\S+(/account/confirm-email\?token=[A-Za-z0-9_-]+)").Groups[1].Value;
        var signedIn = await client.FollowAsync(await client.SignInAsync(invitee));
        var confirmed = await client.GetAsync(link);
        var members2 = await ownerClient.GetAsync("/members");

        Assert.Equal("Mailing Org", signedIn.Text("h1"));
        Assert.Equal("Email address confirmed", confirmed.Text("h1"));
        Assert.Contains(invitee, members2.Text("#member-table"));
        Assert.StartsWith("This invitation has already been used.", (await client.GetAsync(new Uri(copied).PathAndQuery)).Text("#invitation-closed"));
    }

    [Fact]
    public async Task SignUp_InvitationUsedMeanwhile_RefusedAndNothingCreated()
    {
        var owner = await _portal.CreateUserAsync();
        await _portal.CreateTenantAsync(owner, "Raced Mail Org");
        using var ownerClient = _portal.CreatePortalClient();
        await ownerClient.SignInAsync(owner.Email!);
        var invitee = $"late-{Guid.NewGuid():N}@example.com";
        var members = await ownerClient.GetAsync("/members");
        var created = await ownerClient.SubmitAsync(members, "form:has(#invite-email)", new Dictionary<string, string> { ["Invite.Email"] = invitee });
        var path = new Uri(created.Document.QuerySelector("#invitation-link")!.GetAttribute("value")!).PathAndQuery;
        using var client = _portal.CreatePortalClient();
        var form = await client.GetAsync("/account/sign-up?ReturnUrl=" + Uri.EscapeDataString(path));
        await _portal.Database.ScalarAsync<int>($"WITH u AS (UPDATE invitations SET accepted_at = now(), accepted_by_user_id = '{owner.Id}' WHERE email = '{invitee}' RETURNING 1) SELECT count(*)::int FROM u");

        var refused = await client.SubmitAsync(form, "form", new Dictionary<string, string> { ["Input.Password"] = PortalFactory.Password });

        Assert.Equal(HttpStatusCode.OK, refused.Status);
        Assert.Contains("expired or was already used", refused.Text("#sign-up-error"));
        Assert.Equal(0L, await _portal.Database.ScalarAsync<long>($"SELECT count(*) FROM sign_up_requests WHERE email = '{invitee}'"));
    }

    private Task RunMailJobAsync() =>
        _portal.WithServicesAsync(sp => sp.GetRequiredService<AccountMailJobs>().RunAsync(CancellationToken.None));
}
