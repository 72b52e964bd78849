using System.Net;
using Platform.Web.Accounts.Passwords;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Accounts;

public sealed class PasswordPolicyTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Theory]
    [InlineData("aaaaaaaaaa")]
    [InlineData("1234567890")]
    [InlineData("0987654321")]
    [InlineData("password12")]
    [InlineData("Password2024!")]
    [InlineData("p4ssw0rd99")]
    [InlineData("qwertyuiop")]
    [InlineData("1212121212")]
    [InlineData("!!sunshine!!")]
    [InlineData("basketball")]
    public void Refusal_CommonOrGuessable_IsTooCommon(string password) =>
        Assert.Equal(PasswordPolicy.TooCommon, PasswordPolicy.Refusal(password, "someone@example.com"));

    [Theory]
    [InlineData("correct-horse-battery")]
    [InlineData("a long enough passphrase")]
    [InlineData("demo-password-1")]
    [InlineData("tulip yacht 93 cobalt")]
    public void Refusal_UnrelatedWords_Accepted(string password) =>
        Assert.Null(PasswordPolicy.Refusal(password, "someone@example.com", "Acme Robotics"));

    [Theory]
    [InlineData("jane.doe@example.com")]
    [InlineData("jane.doe-2026")]
    [InlineData("JANE.DOE@EXAMPLE.COM")]
    public void Refusal_ContainsTheEmail_IsRefused(string password) =>
        Assert.Equal(PasswordPolicy.ContainsEmail, PasswordPolicy.Refusal(password, "jane.doe@example.com"));

    [Fact]
    public void Refusal_ContainsTheOrganisation_IsRefused() =>
        Assert.Equal(PasswordPolicy.ContainsOrganisation, PasswordPolicy.Refusal("Acme Robotics 2026", "jane@example.com", "Acme Robotics"));

    [Theory]
    [InlineData("aaaaaaaaaa", PasswordPolicy.TooCommon)]
    [InlineData("1234567890", PasswordPolicy.TooCommon)]
    [InlineData("password12", PasswordPolicy.TooCommon)]
    [InlineData("{email}", PasswordPolicy.ContainsEmail)]
    [InlineData("{organisation} rocks", PasswordPolicy.ContainsOrganisation)]
    public async Task SignUp_RefusedPassword_ShowsWhyAndCreatesNothing(string password, string message)
    {
        // Finding 10 of issue 11: these were all accepted.
        var email = $"weak-{Guid.NewGuid():N}@example.com";
        var organisation = $"Weak {Guid.NewGuid():N}"[..16];
        using var client = portal.CreatePortalClient();
        var form = await client.GetAsync("/account/sign-up");

        var posted = await client.SubmitAsync(form, "form", new Dictionary<string, string>
        {
            ["Input.Organisation"] = organisation,
            ["Input.Email"] = email,
            ["Input.Password"] = password.Replace("{email}", email).Replace("{organisation}", organisation),
        });

        Assert.Equal(HttpStatusCode.OK, posted.Status);
        Assert.Equal(message, posted.Text("#sign-up-error"));
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM users WHERE email = '{email}'"));
        Assert.Equal(0L, await portal.Database.ScalarAsync<long>($"SELECT count(*) FROM tenants WHERE name = '{organisation}'"));
    }
}
