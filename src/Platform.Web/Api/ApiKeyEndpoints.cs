using Microsoft.AspNetCore.Antiforgery;
using Platform.Data.ApiKeys;
using Platform.Domain.Common;
using Platform.Web.Accounts;

namespace Platform.Web.Api;

/// <summary>The portal side of API keys: revoke is a plain form post from the keys page.</summary>
internal static class ApiKeyEndpoints
{
    public static void MapApiKeyEndpoints(this IEndpointRouteBuilder app) =>
        app.MapPost("/settings/api-keys/{id:guid}/revoke", RevokeAsync)
            .RequireAuthorization(PortalPolicies.TenantMember)
            .WithMetadata(new RequireAntiforgeryTokenAttribute());

    private static async Task<IResult> RevokeAsync(Guid id, RevokeApiKeyCommand revoke, CancellationToken cancellationToken)
    {
        var revoked = await revoke.ExecuteAsync(id, cancellationToken);
        return revoked.Status switch
        {
            ResultStatus.Success => Results.Redirect("/settings/api-keys?revoked=true"),
            ResultStatus.NotFound => Results.NotFound(),
            ResultStatus.Forbidden => Results.Forbid(),
            _ => Results.BadRequest(),
        };
    }
}
