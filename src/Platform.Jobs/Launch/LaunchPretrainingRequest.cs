namespace Platform.Jobs.Launch;

/// <summary>
/// What the pre-training form (or the API) submits: the corpus, the name the result takes in the
/// tenant's catalog, and where to start (a catalog text model, or a size from scratch). Null
/// advanced fields take the preset's value.
/// </summary>
/// <param name="BaseModel">A catalog text model (BERT family) to continue from; null starts from scratch at <paramref name="Size"/>.</param>
public sealed record LaunchPretrainingRequest(
    Guid DatasetId,
    string ResultName,
    string? BaseModel = null,
    string Size = "small",
    string Preset = "balanced",
    int? Epochs = null,
    int? BatchSize = null,
    double? LearningRate = null,
    int? MaxSequenceLength = null,
    int? VocabularySize = null,
    ulong Seed = 42);
