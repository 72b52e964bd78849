using Platform.Domain.Common;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Portal;

/// <summary>Cancels one of the current tenant's jobs: at once when queued, at the next step when running.</summary>
public sealed class CancelJobCommand(JobQueue queue, ICurrentTenant current)
{
    public async Task<Result<CancelResult>> ExecuteAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return Result<CancelResult>.Forbidden("Choose an organisation first.");
        var result = await queue.CancelAsync(tenantId, jobId, cancellationToken);
        return result == CancelResult.NotCancellable
            ? Result<CancelResult>.Conflict("The job has already finished (or does not exist).")
            : Result<CancelResult>.Success(result);
    }
}
