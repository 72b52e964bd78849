using Platform.Training.Training;

namespace Platform.Jobs.Training;

/// <summary>
/// The payload of a "train" job: the data (a tenant's dataset, or a path on storage every worker
/// sees), the base model (a BERT folder or a CNN preset) and the hyper-parameters. BaseModelName is the
/// catalog name the tenant chose (what the API shows and filters by; BaseModel may be a server path).
/// </summary>
/// <param name="StoredBaseModel">Where a text base model's files are in the artifact store (the worker fetches them); null for a preset or a plain folder in <paramref name="BaseModel"/>.</param>
internal sealed record TrainingJobPayload(string? DataPath, string BaseModel, TrainingOptions Options, DatasetReference? Dataset = null,
    string? BaseModelName = null, Platform.Jobs.Catalog.StoredBaseModel? StoredBaseModel = null);
