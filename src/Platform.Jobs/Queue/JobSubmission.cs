namespace Platform.Jobs.Queue;

/// <summary>What a tenant asks the queue to run. Payload is the kind's own settings, as JSON.</summary>
public sealed record JobSubmission(
    Guid TenantId,
    string Kind,
    string Name,
    string PayloadJson,
    int Priority = 0,
    int MaxAttempts = 3,
    Guid? CreatedBy = null);
