using Microsoft.OpenApi;
using Microsoft.AspNetCore.Authentication;

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
        builder.Services.AddOpenApi("v1", options =>
        {
            // The portal's own form and fragment endpoints are not part of the public API.
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Platform API";
                document.Info.Description = "Upload datasets, launch and follow training jobs, read metrics and classify with trained models. "
                    + "Authenticate with an organisation API key: Authorization: Bearer pk_...";
                // Declared once for the whole document: every /api/v1 operation takes the same key, so
                // generated clients and API explorers ask for it up front.
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[ApiKeyAuthenticationHandler.SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "pk_…",
                    Description = "An organisation API key, created under Settings › API keys.",
                };
                document.Security ??= [];
                document.Security.Add(new OpenApiSecurityRequirement
                {
                    [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, document)] = [],
                });
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    public static WebApplication MapPlatformApi(this WebApplication app)
    {
        // /openapi/v1.json
        app.MapOpenApi().AllowAnonymous();
        app.MapApiEndpoints();
        app.MapApiKeyEndpoints();
        return app;
    }
}
