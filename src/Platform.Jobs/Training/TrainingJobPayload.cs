using Platform.Training.Training;

namespace Platform.Jobs.Training;

/// <summary>
/// The payload of a "train" job: where the data and the base model are, and the hyper-parameters.
/// Paths are on storage every worker sees (the artifact store's root).
/// </summary>
public sealed record TrainingJobPayload(string DataPath, string BaseModel, TrainingOptions Options);
