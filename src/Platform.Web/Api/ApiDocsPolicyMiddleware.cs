using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Platform.Web.Api;

/// <summary>
/// The reference page (/api/docs, Scalar) starts itself with one inline module script, which the
/// portal's content security policy forbids. For that page alone the policy allows exactly that
/// script, by its SHA-256 hash: any other inline script (an injected one) stays blocked.
/// </summary>
internal sealed partial class ApiDocsPolicyMiddleware(RequestDelegate next)
{
    public const string Path = "/api/docs";

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments(Path) || !HttpMethods.IsGet(context.Request.Method))
        {
            await next(context);
            return;
        }
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }
        if (context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true)
        {
            var html = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            var hashes = InlineScript().Matches(html)
                .Select(m => "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups[1].Value))) + "'");
            Security.SecurityHeadersMiddleware.OverridePolicy(context, policy => policy.Replace("script-src 'self'",
                "script-src 'self' " + string.Join(' ', hashes), StringComparison.Ordinal));
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(original, context.RequestAborted);
    }

    // Inline scripts: a <script> tag without src, its exact text (what the browser hashes).
    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex InlineScript();
}
