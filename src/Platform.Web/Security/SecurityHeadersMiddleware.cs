using Microsoft.Extensions.Options;

namespace Platform.Web.Security;

/// <summary>
/// Headers every response carries: X-Request-Id, the content security policy (no inline script, no framing),
/// no MIME sniffing, no referrer to other sites (invitation and confirmation links carry tokens in
/// their path), and no access to camera, microphone or location.
/// </summary>
internal sealed class SecurityHeadersMiddleware(RequestDelegate next, IOptions<SecurityOptions> options)
{
    private static readonly object PolicyOverride = new();

    /// <summary>One page's exception to the policy (the API reference's own inline script), derived from the configured policy.</summary>
    public static void OverridePolicy(HttpContext context, Func<string, string> change) => context.Items[PolicyOverride] = change;

    public Task InvokeAsync(HttpContext context)
    {
        var csp = options.Value.ContentSecurityPolicy;
        // The client's request id when it sent a sane one, else ours: logs and problem+json carry the same.
        if (context.Request.Headers["X-Request-Id"].ToString() is { Length: > 0 and <= 128 } given && given.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            context.TraceIdentifier = given;
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers["X-Request-Id"] = context.TraceIdentifier;
            headers.ContentSecurityPolicy = context.Items[PolicyOverride] is Func<string, string> change ? change(csp) : csp;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "same-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            return Task.CompletedTask;
        });
        return next(context);
    }
}
