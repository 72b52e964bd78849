namespace Platform.Jobs.Predictions;

/// <summary>
/// What a batch prediction job reads: the model (a succeeded training job's stored model folder, or for a
/// model from before the store held models, its local folder) and the uploaded file, stored in the job's
/// own input folder.
/// </summary>
internal sealed record BatchPredictionPayload(Guid ModelJobId, string ModelKind, string? ModelStoredFolder, string? ModelLocalFolder,
    string InputFolder, string InputFile);
