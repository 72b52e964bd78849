namespace Platform.Training.Torch.Optim;

/// <summary>
/// Hugging Face's get_linear_schedule_with_warmup: the factor rises linearly from 0 to 1 over the
/// warm-up steps, then falls linearly to 0 at <see cref="TotalSteps"/>. Step k is the number of
/// optimiser steps already taken, so the first step uses factor(0).
/// </summary>
public sealed class LinearWarmupSchedule
{
    public LinearWarmupSchedule(double baseLearningRate, long warmupSteps, long totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, warmupSteps);
        BaseLearningRate = baseLearningRate;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
    }

    public double BaseLearningRate { get; }

    public long WarmupSteps { get; }

    public long TotalSteps { get; }

    public double Factor(long step)
    {
        if (step < WarmupSteps) return (double)step / Math.Max(1, WarmupSteps);
        return Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps));
    }

    public double LearningRateAt(long step) => BaseLearningRate * Factor(step);

    /// <summary>Sets the optimiser's rate for its next step (from its own step count, so resume is exact).</summary>
    public void Apply(AdamW optimizer) => optimizer.LearningRate = LearningRateAt(optimizer.StepCount);
}
