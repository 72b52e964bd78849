using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Json;

namespace Platform.Web.Api;

public static class ApiExtensions
{
    public static IHostApplicationBuilder AddPlatformApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        // The API's policy names its scheme, so a portal cookie sent along is never looked at.
        builder.Services.AddAuthorizationBuilder().AddPolicy(ApiKeyAuthenticationHandler.Policy, p => p
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireClaim(ApiKeyAuthenticationHandler.TenantClaim));
        builder.Services.AddProblemDetails();
        builder.Services.Configure<JsonOptions>(o =>
        {
            // A misspelt field ("epochz") is the client's 400 naming it, not a setting silently ignored.
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.Converters.Add(new UtcTimestampConverter());
        });
        ApiCors.Add(builder);
        builder.AddApiDocument();
        return builder;
    }

    public static WebApplication MapPlatformApi(this WebApplication app)
    {
        // After authorization and the rate limits (MapPortal's pipeline): the key's tenant is known here.
        app.UseMiddleware<IdempotencyMiddleware>();
        app.UseMiddleware<ApiDocsPolicyMiddleware>();
        app.MapApiDocument();
        app.MapApiEndpoints();
        app.MapApiKeyEndpoints();
        return app;
    }
}
