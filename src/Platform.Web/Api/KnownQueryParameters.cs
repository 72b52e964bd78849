using System.Reflection;
using System.Runtime.CompilerServices;

namespace Platform.Web.Api;

/// <summary>
/// Refuses a query parameter the endpoint does not read (400 invalid_parameter), as Stripe does: a
/// misspelt filter (?stat=failed) would otherwise answer every job, and a script acting on that list
/// would act on the wrong ones. What an endpoint reads is what its reference documents (the query
/// parameters of <see cref="ApiDocumentTransformers"/>) and the simple parameters of its handler that
/// the framework binds from the query.
/// </summary>
internal static class KnownQueryParameters
{
    // Per endpoint object, held no longer than it: a test process builds many hosts, each with its own endpoints.
    private static readonly ConditionalWeakTable<Endpoint, IReadOnlySet<string>> Known = new();

    public static async ValueTask<object?> CheckAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Request.Query.Count > 0 && http.GetEndpoint() is { } endpoint)
        {
            var known = Known.GetValue(endpoint, Of);
            if (http.Request.Query.Keys.FirstOrDefault(key => !known.Contains(key)) is { } unknown)
            {
                var takes = known.Count == 0 ? "it takes none" : "it takes " + string.Join(", ", known.Order(StringComparer.Ordinal));
                return ApiProblem.Invalid(unknown, $"Unknown query parameter '{unknown}' for {http.Request.Method} {http.Request.Path}: {takes}.");
            }
        }
        return await next(context);
    }

    private static IReadOnlySet<string> Of(Endpoint endpoint)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (endpoint.Metadata.GetMetadata<IEndpointNameMetadata>() is { } name)
            names.UnionWith(ApiDocumentTransformers.QueryParameterNames(name.EndpointName));
        var route = (endpoint as RouteEndpoint)?.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        if (endpoint.Metadata.GetMetadata<MethodInfo>() is { } handler)
        {
            foreach (var parameter in handler.GetParameters())
            {
                var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
                if (parameter.Name is { } bound && !route.Contains(bound) && (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(Guid)))
                    names.Add(bound);
            }
        }
        return names;
    }
}
