using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Platform.Data;

namespace Platform.Web.Security;

/// <summary>
/// Section "RateLimits": how often one client may create accounts and try passwords, and one
/// organisation upload datasets (the framework's rate limiter; 429 with Retry-After past a limit).
/// Each web instance counts on its own, so behind N instances a client gets up to N times as many.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Sign-up posts per client address per hour.</summary>
    [Range(1, int.MaxValue)]
    public int SignUpsPerHour { get; set; } = 10;

    /// <summary>Sign-in posts per client address per minute (each account also backs off on its own: SignInThrottle).</summary>
    [Range(1, int.MaxValue)]
    public int SignInsPerMinute { get; set; } = 30;

    /// <summary>Dataset uploads (portal and API) per organisation per hour.</summary>
    [Range(1, int.MaxValue)]
    public int UploadsPerHour { get; set; } = 60;

    /// <summary>REST API requests per organisation per minute (every key of the organisation together).</summary>
    [Range(1, int.MaxValue)]
    public int ApiRequestsPerMinute { get; set; } = 600;

    /// <summary>Confirmation emails a client may ask to be sent again, per hour.</summary>
    [Range(1, int.MaxValue)]
    public int EmailsPerHour { get; set; } = 5;
}

/// <summary>The named rate-limiting policies endpoints and pages opt into.</summary>
public static class RateLimitPolicies
{
    public const string SignUp = "sign-up";
    public const string SignIn = "sign-in";
    public const string Upload = "upload";
    public const string Email = "email";
    public const string Api = "api";

    internal static void Add(IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    var seconds = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    var headers = context.HttpContext.Response.Headers;
                    headers.RetryAfter = seconds;
                    // The IETF RateLimit fields, for clients that read them rather than Retry-After.
                    headers["RateLimit-Remaining"] = "0";
                    headers["RateLimit-Reset"] = seconds;
                }
                // The body comes from the status-code pages: a page in the portal, problem+json in the API.
                return ValueTask.CompletedTask;
            };
            // Pages take the limit on their posts only: showing the sign-in form costs nothing.
            limiter.AddPolicy(SignUp, context => PostsByClient(context, o => o.SignUpsPerHour, TimeSpan.FromHours(1)));
            limiter.AddPolicy(SignIn, context => PostsByClient(context, o => o.SignInsPerMinute, TimeSpan.FromMinutes(1)));
            limiter.AddPolicy(Email, context => PostsByClient(context, o => o.EmailsPerHour, TimeSpan.FromHours(1)));
            limiter.AddPolicy(Api, context =>
            {
                var limit = Options(context).ApiRequestsPerMinute;
                var tenant = context.RequestServices.GetRequiredService<CurrentTenant>().TenantId?.ToString() ?? "client:" + ClientAddress(context);
                return RateLimitPartition.GetFixedWindowLimiter($"api/{tenant}/{limit}", _ => Window(limit, TimeSpan.FromMinutes(1)));
            });
            limiter.AddPolicy(Upload, context =>
            {
                var limit = Options(context).UploadsPerHour;
                // The API key or the portal session has set the tenant by now (UseRateLimiter runs after authorization).
                var tenant = context.RequestServices.GetRequiredService<CurrentTenant>().TenantId?.ToString() ?? "client:" + ClientAddress(context);
                return RateLimitPartition.GetFixedWindowLimiter($"{tenant}/{limit}", _ => Window(limit, TimeSpan.FromHours(1)));
            });
        });
    }

    /// <summary>The client's address as the forwarded-headers middleware left it (the proxy's client, when the proxy is trusted).</summary>
    internal static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static RateLimitOptions Options(HttpContext context) => context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;

    private static RateLimitPartition<string> PostsByClient(HttpContext context, Func<RateLimitOptions, int> permits, TimeSpan window)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
            return RateLimitPartition.GetNoLimiter("");
        var limit = permits(Options(context));
        return RateLimitPartition.GetFixedWindowLimiter($"{ClientAddress(context)}/{limit}", _ => Window(limit, window));
    }

    private static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) => new()
    {
        PermitLimit = permits,
        Window = window,
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
