using Platform.Domain.Common;

namespace Platform.Domain.Tenants;

/// <summary>An organisation: the unit that owns data, jobs and a subscription.</summary>
public sealed class Tenant
{
    public const int NameMaxLength = 100;
    public const int SlugMaxLength = 63;
    public const int SuspensionReasonMaxLength = 500;

    private Tenant()
    {
        Name = "";
        Slug = "";
    }

    public Guid Id { get; private set; }

    public string Name { get; private set; }

    public string Slug { get; private set; }

    public TenantStatus Status { get; private set; }

    public string? SuspensionReason { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public static Result<Tenant> Create(string name, string slug, DateTimeOffset now)
    {
        name = name.Trim();
        if (DisplayName.Check(name, "The organisation name", NameMaxLength) is { } invalid)
        {
            return Result<Tenant>.BadRequest(invalid);
        }
        if (!TenantSlug.IsValid(slug))
        {
            return Result<Tenant>.BadRequest($"'{slug}' is not a valid organisation slug.");
        }
        return Result<Tenant>.Success(new Tenant
        {
            Id = Guid.CreateVersion7(now),
            Name = name,
            Slug = slug,
            Status = TenantStatus.Active,
            CreatedAt = now,
        });
    }

    public bool IsSuspended => Status == TenantStatus.Suspended;

    public Result Suspend(string reason)
    {
        reason = reason.Trim();
        if (reason.Length == 0 || reason.Length > SuspensionReasonMaxLength)
        {
            return Result.BadRequest($"Say why the organisation is suspended (1 to {SuspensionReasonMaxLength} characters): the tenant sees it.");
        }
        if (IsSuspended)
        {
            return Result.Conflict($"{Name} is already suspended.");
        }
        Status = TenantStatus.Suspended;
        SuspensionReason = reason;
        return Result.Success();
    }

    public Result Reactivate()
    {
        if (!IsSuspended)
        {
            return Result.Conflict($"{Name} is not suspended.");
        }
        Status = TenantStatus.Active;
        SuspensionReason = null;
        return Result.Success();
    }

    /// <summary>Uploads and launches are refused while suspended; the message says why.</summary>
    public Result EnsureCanWrite(string action = "add data") => CheckCanWrite(Status, SuspensionReason, action);

    /// <summary>
    /// The one rule for what an organisation that is not active may do: nothing that adds work or data
    /// (upload, launch, import). Callers that read the status straight from SQL use it too, so every
    /// refusal reads alike: "This organisation is suspended and cannot launch jobs: {reason}".
    /// </summary>
    public static Result CheckCanWrite(TenantStatus status, string? suspensionReason, string action) => status switch
    {
        TenantStatus.Active => Result.Success(),
        TenantStatus.Suspended => Result.Forbidden($"This organisation is suspended and cannot {action}: {suspensionReason}"),
        _ => Result.Forbidden($"This organisation was erased and cannot {action}."),
    };
}
