namespace Platform.Web.Api;

/// <summary>
/// Section "Api:Cors": the browser origins allowed to call the API (e.g. ["https://app.example.com"]).
/// None by default: the API answers preflights, but grants no origin until one is configured.
/// </summary>
public sealed class ApiCorsOptions
{
    public const string Section = "Api:Cors";

    public string[] Origins { get; set; } = [];

    /// <summary>How long a browser may cache a preflight's answer.</summary>
    public int MaxAgeSeconds { get; set; } = 600;
}

internal static class ApiCors
{
    public const string Policy = "api";

    public static void Add(IHostApplicationBuilder builder)
    {
        builder.Services.AddCors();
        builder.Services.AddOptions<ApiCorsOptions>().BindConfiguration(ApiCorsOptions.Section);
        // Configured when first used, so settings from every configuration source (and test hosts) count.
        builder.Services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<Microsoft.Extensions.Options.IOptions<ApiCorsOptions>>((cors, api) => cors.AddPolicy(Policy, policy =>
            {
                var options = api.Value;
                // Bearer keys, never cookies: no credentials mode, so a wildcard origin is safe to configure.
                if (options.Origins.Contains("*"))
                    policy.AllowAnyOrigin();
                else
                    policy.WithOrigins(options.Origins);
                policy.WithMethods("GET", "POST", "DELETE")
                    .WithHeaders("Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID", "X-Request-Id", "Accept")
                    .WithExposedHeaders("Location", "Retry-After", "RateLimit-Remaining", "RateLimit-Reset", "X-Request-Id", "Idempotent-Replayed")
                    .SetPreflightMaxAge(TimeSpan.FromSeconds(options.MaxAgeSeconds));
            }));
    }
}
