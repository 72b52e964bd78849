namespace Platform.Jobs.Launch;

/// <summary>
/// Named settings a user picks instead of hyper-parameters. Values follow common practice for each
/// family: BERT fine-tuning wants a few epochs at a small rate; a CNN from scratch wants more epochs.
/// </summary>
public sealed record TrainingPreset(string Name, string Description, int BertEpochs, int CnnEpochs, int BatchSize, int EarlyStoppingPatience)
{
    public static IReadOnlyList<TrainingPreset> All { get; } =
    [
        new("fast", "A quick first model: fewer epochs.", BertEpochs: 1, CnnEpochs: 3, BatchSize: 32, EarlyStoppingPatience: 0),
        new("balanced", "Good accuracy for the time.", BertEpochs: 3, CnnEpochs: 8, BatchSize: 32, EarlyStoppingPatience: 2),
        new("best", "More epochs, stopped early once validation stops improving.", BertEpochs: 5, CnnEpochs: 20, BatchSize: 32, EarlyStoppingPatience: 3),
    ];

    public static TrainingPreset? Find(string name) => All.FirstOrDefault(p => p.Name == name);
}
