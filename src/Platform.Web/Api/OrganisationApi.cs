using Microsoft.EntityFrameworkCore;
using Platform.Billing.Usage;
using Platform.Data;
using Platform.Data.ApiKeys;
using Platform.Domain.Common;
using Platform.Domain.Tenants;
using Platform.Jobs.Catalog;

namespace Platform.Web.Api;

/// <summary>/api/v1/api-keys, /api/v1/usage (owners) and /api/v1/base-models.</summary>
internal static class OrganisationApi
{
    public static async Task<IResult> ListKeysAsync(HttpRequest request, PlatformDbContext db, ICurrentTenant current, ListApiKeysQuery keys,
        CancellationToken cancellationToken)
    {
        if (await RequireOwnerAsync(db, current, cancellationToken) is { } refused)
            return refused;
        if (!PageQuery.TryParse(request, out var page, out var problem))
            return problem!;
        var all = (await keys.ExecuteAsync(cancellationToken)).Select(ApiKeyDto.From).ToList();
        return page.TryPageOf(all, k => k.Id.ToString(), out var result, out problem) ? Results.Ok(result) : problem!;
    }

    public static async Task<IResult> CreateKeyAsync(CreateApiKeyDto request, CreateApiKeyCommand create, CancellationToken cancellationToken)
    {
        var created = await create.ExecuteAsync(request.Name ?? "", cancellationToken);
        return created.IsSuccess
            ? Results.Created($"/api/v1/api-keys/{created.Value.Id}", new CreatedApiKeyDto(created.Value.Id, created.Value.Name, created.Value.PlainText))
            : ApiProblem.From(created, created.Status == ResultStatus.BadRequest ? "name" : null);
    }

    /// <summary>Revoking a revoked key changes nothing and answers 204 again.</summary>
    public static async Task<IResult> RevokeKeyAsync(Guid id, RevokeApiKeyCommand revoke, CancellationToken cancellationToken)
    {
        var revoked = await revoke.ExecuteAsync(id, cancellationToken);
        return revoked.IsSuccess ? Results.NoContent() : ApiProblem.From(revoked);
    }

    public static async Task<IResult> UsageAsync(PlatformDbContext db, ICurrentTenant current, GetTenantBillingSummaryQuery summary,
        CancellationToken cancellationToken)
    {
        if (await RequireOwnerAsync(db, current, cancellationToken) is { } refused)
            return refused;
        var result = await summary.ExecuteAsync(cancellationToken);
        if (!result.IsSuccess)
            return ApiProblem.From(result);
        var s = result.Value;
        return Results.Ok(new UsageDto(s.PlanName, s.SubscriptionStatus, s.PeriodStart, s.PeriodEnd, s.IncludedGpuHours, s.UsedGpuHours,
            s.IncludedCpuHours, s.UsedCpuHours, s.ProjectedCost.Amount, s.ProjectedCost.Currency));
    }

    /// <summary>The platform's and the organisation's base models, by name.</summary>
    public static async Task<IResult> ListBaseModelsAsync(HttpRequest request, BaseModelCatalog catalog, ICurrentTenant current,
        CancellationToken cancellationToken)
    {
        if (!PageQuery.TryParse(request, out var page, out var problem))
            return problem!;
        string? kind = null;
        if (request.Query["kind"].ToString() is { Length: > 0 } kindText)
        {
            if (kindText is not ("text" or "image" or "tabular"))
                return ApiProblem.Invalid("kind", $"Unknown kind '{kindText}': text, image or tabular.");
            kind = kindText;
        }
        var all = (await catalog.ListAsync(current.TenantId, cancellationToken)).Select(BaseModelDto.From)
            .Where(m => kind is null || m.Kind == kind).OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
        return page.TryPageOf(all, m => m.Name, out var result, out problem) ? Results.Ok(result) : problem!;
    }

    private static async Task<IResult?> RequireOwnerAsync(PlatformDbContext db, ICurrentTenant current, CancellationToken cancellationToken) =>
        current.UserId is { } userId && await db.TenantMemberships.AnyAsync(m => m.UserId == userId && m.Role == TenantRole.Owner, cancellationToken)
            ? null
            : ApiProblem.Create(StatusCodes.Status403Forbidden, "forbidden", "Only an owner's key may do this.");
}
