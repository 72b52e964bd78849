using Platform.Training.Training;

namespace Platform.Training.Tests.Training;

public sealed class TrainingPlanTests
{
    private static readonly BaseModelProfile Scratch = new(ModelStart.TextFromScratch, 128);
    private static readonly BaseModelProfile BertBase = new(ModelStart.TextPretrained, 768);
    private static readonly BaseModelProfile Cnn = new(ModelStart.ImageFromScratch);

    [Fact]
    public void Resolve_SmallTextDataset_AddsEpochsUntilMinimumSteps()
    {
        // 270 training rows: the old fixed "3 epochs of batch 32" was 27 optimiser steps.
        var plan = TrainingPlan.Resolve(new TrainingOptions(), Scratch, 270);

        Assert.Equal(16, plan.BatchSize);
        Assert.Equal(17, plan.StepsPerEpoch);
        Assert.True(plan.TotalSteps >= 500, $"{plan.TotalSteps} steps");
        Assert.Equal(30, plan.Epochs);
        Assert.Equal(5e-4, plan.LearningRate);
    }

    [Fact]
    public void Resolve_LargeDataset_KeepsPresetEpochs()
    {
        var plan = TrainingPlan.Resolve(new TrainingOptions(), BertBase, 100_000);

        Assert.Equal(32, plan.BatchSize);
        Assert.Equal(3, plan.Epochs);
        Assert.Equal(5e-5, plan.LearningRate);
        Assert.Equal(0.1, plan.WarmupFraction);
    }

    [Fact]
    public void Resolve_TinyImageDataset_BatchAtLeastEightAndEpochsCapped()
    {
        var plan = TrainingPlan.Resolve(new TrainingOptions { Preset = "best" }, Cnn, 20);

        Assert.Equal(TrainingPlan.MinBatchSize, plan.BatchSize);
        Assert.Equal(TrainingPlan.MaxEpochs, plan.Epochs);
        Assert.Equal(1e-3, plan.LearningRate);
    }

    [Fact]
    public void Resolve_ExplicitSettings_AreKept()
    {
        var options = new TrainingOptions { Epochs = 2, BatchSize = 5, LearningRate = 0.01, EarlyStoppingPatience = 0, MinStepsBeforeStopping = 7 };

        var plan = TrainingPlan.Resolve(options, Scratch, 1000);

        Assert.Equal((2, 5, 0.01, 0, 7, 200), (plan.Epochs, plan.BatchSize, plan.LearningRate, plan.Patience, plan.MinStepsBeforeStopping, plan.StepsPerEpoch));
    }

    [Theory]
    [InlineData(768, 5e-5)]
    [InlineData(384, 1e-4)]
    [InlineData(128, 2e-4)]
    public void DefaultLearningRate_NarrowPretrainedEncoder_IsHigher(int width, double expected)
    {
        Assert.Equal(expected, TrainingPlan.DefaultLearningRate(new BaseModelProfile(ModelStart.TextPretrained, width)), 12);
    }

    [Fact]
    public void Resolve_Presets_GrowWithTheBudget()
    {
        var steps = TrainingPreset.All.Select(p => TrainingPlan.Resolve(new TrainingOptions { Preset = p.Name }, Cnn, 5000).TotalSteps).ToList();

        Assert.Equal(steps.Order(), steps);
        Assert.Equal(3, steps.Distinct().Count());
    }

    [Fact]
    public void Resolve_UnknownPreset_Throws()
    {
        Assert.Throws<ArgumentException>(() => TrainingPlan.Resolve(new TrainingOptions { Preset = "huge" }, Cnn, 100));
    }
}
