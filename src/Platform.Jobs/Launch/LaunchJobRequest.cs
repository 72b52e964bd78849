namespace Platform.Jobs.Launch;

/// <summary>
/// What the launch form (or the API) submits; null advanced fields take the preset's value. Devices:
/// how many devices the job trains on at once, data-parallel (decision 0044); 1 unless asked.
/// </summary>
public sealed record LaunchJobRequest(
    Guid DatasetId,
    string BaseModel,
    string Preset = "balanced",
    string? Name = null,
    int? Epochs = null,
    int? BatchSize = null,
    double? LearningRate = null,
    int? MaxSequenceLength = null,
    ulong Seed = 42,
    int Devices = 1);
