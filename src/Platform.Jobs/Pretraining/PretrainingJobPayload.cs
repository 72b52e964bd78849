using Platform.Jobs.Training;
using Platform.Training.Pretraining;

namespace Platform.Jobs.Pretraining;

/// <summary>
/// The payload of a "pretrain" job: the corpus (a corpus or text dataset), where to start (a catalog
/// text model's folder, or a size from scratch), the resolved options, and the name the result takes
/// in the tenant's catalog.
/// </summary>
/// <param name="BaseModelPath">The plain catalog folder (installs before the store) to continue from; null starts from <paramref name="StoredBaseModel"/>, or from scratch at <paramref name="Size"/>.</param>
/// <param name="StoredBaseModel">The stored base model to continue from.</param>
internal sealed record PretrainingJobPayload(
    DatasetReference Dataset,
    string? BaseModelPath,
    string? BaseModelName,
    string Size,
    PretrainingOptions Options,
    string ResultName,
    string Description,
    Platform.Jobs.Catalog.StoredBaseModel? StoredBaseModel = null);
