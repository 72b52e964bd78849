using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Platform.Web.Api;

/// <summary>The OpenAPI 3.1 document of /api/v1 at /openapi/v1.json.</summary>
internal static class ApiDocument
{
    public static IHostApplicationBuilder AddApiDocument(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi("v1", options =>
        {
            // The portal's own form and fragment endpoints are not part of the public API.
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
            options.AddSchemaTransformer(ApiDocumentTransformers.SchemaAsync);
            options.AddOperationTransformer(ApiDocumentTransformers.OperationAsync);
            options.AddDocumentTransformer((document, _, _) =>
            {
                // No servers: the document is the same wherever it is fetched, and clients take the base address they are given.
                document.Servers = [];
                document.Info.Title = "Platform API";
                document.Info.Version = "v1";
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

    public static WebApplication MapApiDocument(this WebApplication app)
    {
        // /openapi/v1.json
        app.MapOpenApi().AllowAnonymous();
        // The reference page: Scalar reads the document above and renders it (its script is served locally).
        app.MapScalarApiReference("/api/docs", options => options
            .WithTitle("Platform API")
            // Its default fonts come from a CDN, which the content security policy (and many networks) refuse.
            .DisableDefaultFonts()
            .WithOpenApiRoutePattern("/openapi/{documentName}.json"))
            .AllowAnonymous();
        return app;
    }
}
