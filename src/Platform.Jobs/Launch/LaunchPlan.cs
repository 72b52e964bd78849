using Platform.Jobs.Catalog;
using Platform.Training.Models.Cnn;
using Platform.Training.Training;

namespace Platform.Jobs.Launch;

/// <summary>
/// The settings a launch trains with and what they cost: the launch form shows it, the launch command
/// checks the quota against it and stores its options in the job, so all three agree.
/// </summary>
public sealed record LaunchPlan(TrainingOptions Options, TrainingPlan Plan, int TokensPerSample, long TrainingSamples, int Devices = 1)
{
    /// <summary>The most devices one job may ask for; a tenant's limit of running slots may cap it lower.</summary>
    public const int MaxDevices = 64;

    public const int DefaultMaxSequenceLength = 128;

    /// <summary>
    /// Resolves the preset for the dataset's size and the base model's starting point. The options
    /// that go into the job are fully explicit, so a worker (and a resumed attempt) trains exactly
    /// this plan even if the presets change in a later release.
    /// </summary>
    public static LaunchPlan For(BaseModel model, LaunchJobRequest request, int trainingSamples)
    {
        var requested = new TrainingOptions
        {
            Preset = request.Preset,
            Epochs = request.Epochs,
            BatchSize = request.BatchSize,
            LearningRate = request.LearningRate,
            MaxSequenceLength = request.MaxSequenceLength ?? DefaultMaxSequenceLength,
            Seed = request.Seed,
            Device = "auto",
        };
        var plan = TrainingPlan.Resolve(requested, ProfileOf(model), Math.Max(1, trainingSamples));
        var options = requested with
        {
            Preset = plan.Preset,
            Epochs = plan.Epochs,
            BatchSize = plan.BatchSize,
            LearningRate = plan.LearningRate,
            WeightDecay = plan.WeightDecay,
            WarmupFraction = plan.WarmupFraction,
            EarlyStoppingPatience = plan.Patience,
            MinStepsBeforeStopping = plan.MinStepsBeforeStopping,
        };
        return new LaunchPlan(options, plan, TokensPerSampleOf(model, options.MaxSequenceLength), trainingSamples, Math.Max(1, request.Devices));
    }

    /// <summary>The device-time estimate of this plan on <see cref="Devices"/> devices of <paramref name="deviceKind"/>.</summary>
    public JobEstimate Estimate(long parameters, string deviceKind) =>
        JobEstimate.For(parameters, TrainingSamples, Plan.Epochs, Plan.BatchSize, TokensPerSample, deviceKind).OnDevices(Devices);

    /// <summary>
    /// A BERT's cost is per token; a CNN's convolution weights are reused at every output position,
    /// about a sixteenth of the input pixels for the presets' pooled feature maps.
    /// </summary>
    public static int TokensPerSampleOf(BaseModel model, int maxSequenceLength)
    {
        if (model.IsBert)
            return maxSequenceLength;
        if (model.IsTabular)
            return 1;
        var config = CnnConfig.FromPreset(model.Preset!, ["a", "b"]);
        // An MLP uses each weight once per image, like a table's MLP.
        return config.Architecture == CnnConfig.MlpArchitecture ? 1 : Math.Max(1, config.ImageHeight * config.ImageWidth / 16);
    }

    private static BaseModelProfile ProfileOf(BaseModel model) =>
        // A catalog folder this host cannot read still launches; the worker reads it again.
        model.ProfileOrRead() ?? new BaseModelProfile(ModelStart.TextPretrained, 768);
}
