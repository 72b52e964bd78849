using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Platform.Data;
using Platform.Data.ApiKeys;

namespace Platform.Web.Api;

/// <summary>
/// `Authorization: Bearer pk_...` for the REST API. A valid key makes its tenant the request's
/// current tenant, so every query and command below is scoped exactly as in the portal. Missing,
/// unknown, wrong and revoked keys all get the same 401.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AuthenticateApiKeyQuery authenticate,
    CurrentTenant currentTenant)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Policy = "ApiKey";
    public const string TenantClaim = "tenant_id";
    public const string KeyClaim = "api_key_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        var principal = await authenticate.ExecuteAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (principal is null)
            return AuthenticateResult.Fail("Invalid or revoked API key.");
        currentTenant.Set(principal.TenantId, principal.UserId);
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, principal.UserId.ToString()),
            new Claim(TenantClaim, principal.TenantId.ToString()),
            new Claim(KeyClaim, principal.KeyId.ToString()),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Problem("Unauthorized", "Send a valid API key: Authorization: Bearer pk_... (create one under Settings › API keys).");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Problem("Forbidden", "This API key may not do that.");
    }

    // A body of its own, so the portal's status-code pages leave the response alone.
    private Task Problem(string title, string detail) =>
        Response.WriteAsJsonAsync(new { type = "about:blank", title, status = Response.StatusCode, detail }, (System.Text.Json.JsonSerializerOptions?)null,
            "application/problem+json", Context.RequestAborted);
}
