using Platform.Training.Training;

namespace Platform.Jobs.Training;

/// <summary>
/// The payload of a "train" job: the data (a tenant's dataset, or a path on storage every worker
/// sees), the base model (a BERT folder or a CNN preset) and the hyper-parameters. BaseModelName is the
/// catalog name the tenant chose (what the API shows and filters by; BaseModel may be a server path).
/// </summary>
public sealed record TrainingJobPayload(string? DataPath, string BaseModel, TrainingOptions Options, DatasetReference? Dataset = null,
    string? BaseModelName = null);
