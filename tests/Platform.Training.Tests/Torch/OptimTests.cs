using Platform.Training.Torch;
using Platform.Training.Torch.Nn;
using Platform.Training.Torch.Optim;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Torch;

[Collection(LiveTensorCollection.Name)] // seeds the process-wide generator
public sealed class OptimTests
{
    [Fact]
    public void AdamWStateDict_SavedAndLoaded_ResumesToIdenticalWeights()
    {
        TorchApi.ManualSeed(3);
        using var scope = TorchApi.NewDisposeScope();
        using var a = new Linear(5, 3);
        using var b = new Linear(5, 3);
        b.LoadStateDict(a.StateDict());
        var x = Tensor.Randn([4, 5]);
        var y = Tensor.FromSpan([0L, 1, 2, 1], [4]);
        using var optA = AdamW.ForModel(a, 0.05, 0.1);
        using (var warm = AdamW.ForModel(b, 0.05, 0.1))
        {
            for (var i = 0; i < 2; i++)
            {
                Step(a, optA, x, y);
                Step(b, warm, x, y);
            }
            // b's optimiser is "checkpointed" and a fresh one resumes from the saved state.
            var saved = warm.StateDict();
            using var resumed = AdamW.ForModel(b, 0.05, 0.1);
            resumed.LoadStateDict(saved);
            foreach (var t in saved.Values) t.Dispose();
            Assert.Equal(2, resumed.StepCount);
            for (var i = 0; i < 3; i++)
            {
                Step(a, optA, x, y);
                Step(b, resumed, x, y);
            }
        }
        Assert.Equal(a.Weight.ToFloatArray(), b.Weight.ToFloatArray());
        Assert.Equal(a.Bias!.ToFloatArray(), b.Bias!.ToFloatArray());
    }

    [Fact]
    public void ForModel_OneDimensionalParameters_GetNoWeightDecay()
    {
        using var layer = new Linear(3, 2);
        using var optimizer = AdamW.ForModel(layer, 1e-3, 0.01);
        var decay = optimizer.Groups.Single(g => g.WeightDecay > 0);
        var noDecay = optimizer.Groups.Single(g => g.WeightDecay == 0);
        Assert.Equal(["weight"], decay.Parameters.Select(p => p.Key));
        Assert.Equal(["bias"], noDecay.Parameters.Select(p => p.Key));
    }

    [Fact]
    public void ClipGradNorm_LargeGradient_ScalesToMaxNorm()
    {
        using var scope = TorchApi.NewDisposeScope();
        var w = Tensor.Zeros([2]);
        w.RequiresGrad = true;
        (w * Tensor.FromSpan([3f, 4f], [2])).Sum().Backward(); // gradient (3, 4), norm 5
        var norm = GradientClipping.ClipGradNorm([w], 1.0);
        Assert.Equal(5.0, norm, 1e-6);
        var clipped = w.Grad!.ToFloatArray();
        Assert.Equal(0.6f, clipped[0], 1e-5);
        Assert.Equal(0.8f, clipped[1], 1e-5);
    }

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(5, 0.5)]
    [InlineData(10, 1.0)]
    [InlineData(60, 0.5)]
    [InlineData(110, 0.0)]
    [InlineData(200, 0.0)]
    public void LinearWarmupSchedule_Factor_RisesThenDecays(long step, double expected)
    {
        var schedule = new LinearWarmupSchedule(2e-5, warmupSteps: 10, totalSteps: 110);
        Assert.Equal(expected, schedule.Factor(step), 1e-12);
        Assert.Equal(2e-5 * expected, schedule.LearningRateAt(step), 1e-15);
    }

    private static void Step(Linear model, AdamW optimizer, Tensor x, Tensor y)
    {
        using var scope = TorchApi.NewDisposeScope();
        optimizer.ZeroGrad();
        Functional.CrossEntropy(model.Forward(x), y).Backward();
        optimizer.Step();
    }
}
