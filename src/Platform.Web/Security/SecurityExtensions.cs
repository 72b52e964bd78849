using System.Net;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Platform.Web.Security;

/// <summary>
/// What every request goes through before a page or endpoint sees it (docs/security.md): the proxy's
/// forwarded headers, security headers, a body limit, readable errors for unreadable requests,
/// problem+json for every API error, rate limits and antiforgery on every state-changing request.
/// </summary>
public static class SecurityExtensions
{
    public static IHostApplicationBuilder AddPortalSecurity(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxies) =>
        {
            // The client's address (rate limits, logs) and https (Secure cookies, HSTS) as the proxy saw them; never the Host.
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = proxies.Value.ForwardLimit;
            foreach (var proxy in proxies.Value.KnownProxies)
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            foreach (var network in proxies.Value.KnownNetworks)
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
        // Kestrel's default for every request; endpoints that take more (uploads) raise it for themselves.
        builder.Services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<IOptions<SecurityOptions>>((kestrel, security) => kestrel.Limits.MaxRequestBodySize = security.Value.MaxRequestBodyBytes);
        // Binding failures (malformed JSON, a string where a number goes) throw, so RequestErrorsMiddleware can say why.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o =>
        {
            // Numbers are numbers: "NaN" or "1e400" in quotes is not a learning rate.
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
            o.SerializerOptions.MaxDepth = 32;
            // A field the request type needs (no default) must be there: a missing baseModel is the client's
            // 400, not a null that fails deeper down with a 500. (Not RespectNullableAnnotations: it would
            // also make a response with an unexpected null fail while being written.)
            o.SerializerOptions.RespectRequiredConstructorParameters = true;
        });
        services.AddAntiforgery(o =>
        {
            // Secure whenever the request was https (directly or at a trusted proxy), like the sign-in cookie.
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();
        RateLimitPolicies.Add(services);
        return builder;
    }

    /// <summary>First in the pipeline: the proxy's view of the request, and the headers every response carries.</summary>
    public static WebApplication UseRequestSecurity(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        return app;
    }

    /// <summary>
    /// Error handling: unhandled exceptions become a 500 page (portal) or problem+json (API); bodies of
    /// empty 4xx/5xx responses come from the status pages or as problem+json; unreadable requests get
    /// their 400/413 (RequestErrorsMiddleware).
    /// </summary>
    public static WebApplication UseErrorResponses(this WebApplication app)
    {
        // Not in UseWhen branches: a branch has no global route builder, so a re-executed request would
        // find no endpoint. API requests are told apart inside instead (ApiExceptionHandler, ApiProblemResponses).
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
            app.UseHsts();
        }
        app.UseStatusCodePagesWithReExecute("/status/{0}");
        app.UseMiddleware<ApiProblemResponsesMiddleware>();
        app.UseMiddleware<RequestErrorsMiddleware>();
        return app;
    }

    /// <summary>After authorization (limits partition by tenant): rate limits, then antiforgery on every state-changing request.</summary>
    public static WebApplication UseRequestGuards(this WebApplication app)
    {
        app.UseRateLimiter();
        app.UseAntiforgery();
        app.UseMiddleware<AntiforgeryEnforcementMiddleware>();
        return app;
    }

    /// <summary>The REST API (and its OpenAPI document) answers in problem+json, never with a portal page.</summary>
    internal static bool IsApi(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/openapi");
}
