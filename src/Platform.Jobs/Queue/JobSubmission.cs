namespace Platform.Jobs.Queue;

/// <summary>
/// What a tenant asks the queue to run. Payload is the kind's own settings, as JSON. Devices: how many
/// slots the job's gang takes at once (decision 0044); 1 for a single-device job.
/// </summary>
public sealed record JobSubmission(
    Guid TenantId,
    string Kind,
    string Name,
    string PayloadJson,
    int Priority = 0,
    int MaxAttempts = 3,
    Guid? CreatedBy = null,
    int Devices = 1);
